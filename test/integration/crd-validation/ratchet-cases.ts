import type { Case } from './cases.js';
import { PROBE_CRD } from './probe-crd.js';

/**
 * Validation ratcheting: a Probe stored while replicas could be up to 8 stays
 * writable after the CRD lowers the maximum to 5, as long as a write leaves
 * replicas alone; changing replicas to another too-large value is refused.
 * Run after every other case: it changes the probe CRD.
 */

export const RATCHET_OBJECT = 'ratchet';
export const DRY_RUN_PROBE_PATH = 'probes?dryRun=All';

/** The probe CRD with spec.replicas at most 5 instead of below 10. */
export function tightenedProbeCrd(resourceVersion: string): unknown {
  const crd = structuredClone(PROBE_CRD) as {
    metadata: Record<string, unknown>;
    spec: { versions: { schema: { openAPIV3Schema: { properties: { spec: { properties: Record<string, Record<string, unknown>> } } } } }[] };
  };
  const replicas = crd.spec.versions[0]!.schema.openAPIV3Schema.properties.spec.properties.replicas!;
  replicas.maximum = 5;
  delete replicas.exclusiveMaximum;
  crd.metadata.resourceVersion = resourceVersion;
  return crd;
}

const probe = (spec: unknown): unknown => ({ apiVersion: 'test.fkas.metal3.io/v1', kind: 'Probe', metadata: { name: RATCHET_OBJECT }, spec });
const patch = (spec: unknown): Case['step'] => ({
  method: 'PATCH',
  path: `probes/${RATCHET_OBJECT}`,
  body: { spec },
  contentType: 'application/merge-patch+json',
});

export const RATCHET_SETUP: Case['step'] = { method: 'POST', path: 'probes', body: probe({ replicas: 8, tags: ['a'] }) };

export const RATCHET_CASES: readonly Case[] = [
  { name: 'ratcheting: a write that leaves the now too large replicas alone is accepted', step: patch({ tags: ['a', 'b'] }) },
  { name: 'ratcheting: changing replicas to another too large value is refused', step: patch({ replicas: 6 }) },
  { name: 'ratcheting: a new error next to the unchanged old one names only the new one', step: patch({ tags: ['a', 'a'] }) },
];
