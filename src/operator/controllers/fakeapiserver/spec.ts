import { validateDns1123Label, validateDns1123Subdomain } from '../../../simulator/store/validation.js';
import type { FakeAPIServer } from '../../api/v1alpha1.js';

/**
 * What the operator needs of a FakeAPIServer's spec before it can act on it.
 * The CRD schema says the same, but an API server with an older CRD, or
 * one that does not enforce schemas, can hand us anything: a spec we cannot
 * act on becomes an InvalidSpec condition that says what to change, never
 * only a log line and a retry loop.
 */

const VERSION = /^v?\d+\.\d+\.\d+([-+][0-9A-Za-z.+-]+)?$/;
const EXPOSURES = ['Direct', 'Service'];
const MAX_PORT = 65535;

/** The problems with the spec, each naming its field; empty when the operator can act on it. */
export function specProblems(fas: FakeAPIServer): string[] {
  const spec: unknown = fas.spec;
  if (spec === undefined || spec === null) return [];
  if (typeof spec !== 'object' || Array.isArray(spec)) return ['spec must be an object'];
  const s = spec as Record<string, unknown>;
  const out: string[] = [];
  const str = (field: string, check?: (v: string) => string | undefined): void => {
    const v = s[field];
    if (v === undefined || v === null || v === '') return;
    if (typeof v !== 'string') out.push(`spec.${field} must be a string, not ${JSON.stringify(v)}`);
    else {
      const problem = check?.(v);
      if (problem) out.push(`spec.${field} ${problem}`);
    }
  };
  str('clusterName', (v) => (validateDns1123Label(v).length ? `"${v}" must be a DNS-1123 label (lower-case letters, digits and '-', at most 63 characters)` : undefined));
  str('kubernetesVersion', (v) => (VERSION.test(v) ? undefined : `"${v}" is not a version like v1.32.0`));
  str('advertiseHost');
  str('exposure', (v) => (EXPOSURES.includes(v) ? undefined : `"${v}" must be one of ${EXPOSURES.join(', ')}`));
  for (const f of ['caSecretName', 'etcdCASecretName']) {
    str(f, (v) => (validateDns1123Subdomain(v).length ? `"${v}" is not a valid Secret name` : undefined));
  }
  const port = s.port;
  if (port !== undefined && port !== null && !(Number.isInteger(port) && (port as number) >= 1 && (port as number) <= MAX_PORT)) {
    out.push(`spec.port must be an integer between 1 and ${MAX_PORT}, not ${JSON.stringify(port)}; or omit it to get one from the operator's port range`);
  }
  return out;
}
