import type { Case, Step } from './cases.js';
import type { KubeAnswer, KubeRequest } from './kubeconfig-client.js';

/**
 * Runs a case against one API server and reduces its answer to what must
 * match between kube-apiserver and the embedded API: code, reason, message,
 * causes, Warning texts, and the spec/status written. kube-apiserver lists
 * the errors of one object in map order (it varies between runs), so
 * causes are sorted and a message listing several is rebuilt from them in
 * that order, after checking it lists exactly those.
 */

const FKAS_BASE = '/apis/fkas.metal3.io/v1alpha1/namespaces/default/';
const PROBE_BASE = '/apis/test.fkas.metal3.io/v1/namespaces/default/';
/** The probe CRD's resource lives in its own group. */
const base = (path: string): string => (path.startsWith('probes') ? PROBE_BASE : FKAS_BASE);

export interface Cause {
  readonly reason?: string;
  readonly field?: string;
  readonly message?: string;
}

export interface Outcome {
  readonly code: number;
  readonly reason?: string;
  readonly message?: string;
  readonly causes?: readonly Cause[];
  readonly warnings: readonly string[];
  readonly spec?: unknown;
  readonly status?: unknown;
  /** After a refused create: is the object there anyway? */
  readonly storedAfterRefusal?: boolean;
}

export async function runCase(request: KubeRequest, c: Case): Promise<Outcome> {
  for (const step of c.setup ?? []) {
    const r = await send(request, step);
    if (r.status >= 300) throw new Error(`setup of "${c.name}" failed with ${r.status}: ${JSON.stringify(r.body)}`);
  }
  const answer = await send(request, c.step);
  const outcome = normalise(answer);
  if (answer.status >= 300 && c.step.method === 'POST') {
    const name = objectName(c.step.body);
    const get = await request('GET', `${base(c.step.path)}${c.step.path}/${name}`);
    return { ...outcome, storedAfterRefusal: get.status === 200 };
  }
  return outcome;
}

export async function send(request: KubeRequest, step: Step): Promise<KubeAnswer> {
  const path = `${base(step.path)}${step.path}${step.query ? `?${step.query}` : ''}`;
  let body = step.body;
  if (step.method === 'PUT') {
    // kube-apiserver refuses unconditional updates of custom resources: send the stored resourceVersion.
    const objectPath = `${base(step.path)}${step.path.replace(/\/status$/, '')}`;
    const current = await request('GET', objectPath);
    const rv = (current.body.metadata as { resourceVersion?: string } | undefined)?.resourceVersion;
    const b = body as { metadata: Record<string, unknown> };
    body = { ...b, metadata: { ...b.metadata, resourceVersion: rv } };
  }
  return request(step.method, path, body, step.contentType);
}

function objectName(body: unknown): string {
  if (typeof body === 'string') return (JSON.parse(body) as { metadata: { name: string } }).metadata.name;
  return (body as { metadata: { name: string } }).metadata.name;
}

/** A patch refused under Strict quotes the whole patched object, with server-set uid, timestamps and managedFields: compared without it. */
const PATCHED_OBJECT = /Invalid value: "(?:[^"\\]|\\.)*": strict decoding error/g;
const PATCHED_OBJECT_PLACEHOLDER = 'Invalid value: <the patched object>: strict decoding error';
export function normalise(a: KubeAnswer): Outcome {
  const warnings = [...a.warnings].sort();
  if (a.status < 300) return { code: a.status, warnings, spec: a.body.spec, ...(a.body.status !== undefined ? { status: a.body.status } : {}) };
  const details = a.body.details as { causes?: Cause[] } | undefined;
  const causes = details?.causes
    ? details.causes
        .map((c) => ({ ...c, ...(c.message !== undefined ? { message: c.message.replace(PATCHED_OBJECT, PATCHED_OBJECT_PLACEHOLDER) } : {}) }))
        .sort(byFieldAndMessage)
    : undefined;
  return {
    code: a.status,
    ...(a.body.reason !== undefined ? { reason: a.body.reason as string } : {}),
    message: sortedMessage(String(a.body.message).replace(PATCHED_OBJECT, PATCHED_OBJECT_PLACEHOLDER), causes),
    ...(causes ? { causes } : {}),
    warnings,
  };
}

function byFieldAndMessage(x: Cause, y: Cause): number {
  const a = `${x.field ?? ''}\u0000${x.message ?? ''}`;
  const b = `${y.field ?? ''}\u0000${y.message ?? ''}`;
  return a < b ? -1 : a > b ? 1 : 0;
}

/** `X "n" is invalid: [e1, e2]` with the e's in cause order, when the bracket lists exactly the causes. */
function sortedMessage(message: string, causes: readonly Cause[] | undefined): string {
  if (!causes || causes.length < 2) return message;
  const m = /^(.* is invalid: )\[(.*)\]$/s.exec(message);
  if (!m) return message;
  const texts = causes.map((c) => `${c.field ?? ''}: ${c.message ?? ''}`);
  const listed = m[2]!;
  const same = listed.length === texts.join(', ').length && texts.every((t) => listed.includes(t));
  return same ? `${m[1]!}[${texts.join(', ')}]` : message;
}
