/**
 * The legacy FKAS request bodies, validated field by field so a bad request
 * gets a 400 that names the field, and nothing is created.
 */

export class ShimInputError extends Error {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(message);
  }
}

const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const VERSION = /^v?\d+\.\d+\.\d+([-+][0-9A-Za-z.+-]+)?$/;
const LABEL_KEY = /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

export interface RegisterRequest {
  readonly cluster: string;
  readonly namespace: string;
}

export interface UpdateNodeRequest {
  readonly cluster: string;
  readonly namespace: string;
  readonly nodeName: string;
  readonly providerID: string;
  readonly uuid?: string;
  readonly labels: Record<string, string>;
  readonly k8sversion?: string;
  readonly role?: 'control-plane' | 'worker';
}

function body(raw: unknown): Record<string, unknown> {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new ShimInputError('body', 'the body must be a JSON object');
  return raw as Record<string, unknown>;
}

function str(b: Record<string, unknown>, field: string, opts: { required: boolean; pattern?: RegExp; max?: number; what?: string }): string | undefined {
  const v = b[field];
  if (v === undefined || v === null || v === '') {
    if (opts.required) throw new ShimInputError(field, `"${field}" is required`);
    return undefined;
  }
  if (typeof v !== 'string') throw new ShimInputError(field, `"${field}" must be a string, not ${Array.isArray(v) ? 'an array' : typeof v}`);
  if (opts.max !== undefined && v.length > opts.max) throw new ShimInputError(field, `"${field}" is longer than ${opts.max} characters`);
  if (opts.pattern && !opts.pattern.test(v)) throw new ShimInputError(field, `"${field}" is not ${opts.what ?? 'valid'}: "${v}"`);
  return v;
}

export function parseRegister(raw: unknown): RegisterRequest {
  const b = body(raw);
  return {
    cluster: str(b, 'cluster', { required: true, pattern: DNS1123_LABEL, max: 63, what: 'a DNS-1123 label (lower-case letters, digits, -)' })!,
    namespace: str(b, 'namespace', { required: true, pattern: DNS1123_LABEL, max: 63, what: 'a DNS-1123 label' })!,
  };
}

export function parseUpdateNode(raw: unknown): UpdateNodeRequest {
  const b = body(raw);
  const role = str(b, 'role', { required: false });
  if (role !== undefined && role !== 'control-plane' && role !== 'worker') throw new ShimInputError('role', '"role" must be control-plane or worker');
  const uuid = str(b, 'uuid', { required: false, max: 128 });
  const k8sversion = str(b, 'k8sversion', { required: false, pattern: VERSION, what: 'a version like v1.32.0' });
  return {
    cluster: str(b, 'cluster', { required: true, pattern: DNS1123_LABEL, max: 63, what: 'a DNS-1123 label' })!,
    namespace: str(b, 'namespace', { required: true, pattern: DNS1123_LABEL, max: 63, what: 'a DNS-1123 label' })!,
    nodeName: str(b, 'nodeName', { required: true, pattern: DNS1123_SUBDOMAIN, max: 253, what: 'a DNS-1123 subdomain' })!,
    providerID: str(b, 'providerID', { required: true, max: 1024 })!,
    ...(uuid ? { uuid } : {}),
    labels: parseLabels(b.labels),
    ...(k8sversion ? { k8sversion } : {}),
    ...(role ? { role } : {}),
  };
}

/** Labels as a JSON object, or the string form `k1=v1,k2=v2` the original accepted. */
export function parseLabels(raw: unknown): Record<string, string> {
  if (raw === undefined || raw === null || raw === '') return {};
  let pairs: [string, unknown][];
  if (typeof raw === 'string') {
    pairs = raw.split(',').filter((p) => p.trim() !== '').map((p) => {
      const i = p.indexOf('=');
      if (i <= 0) throw new ShimInputError('labels', `"labels" entry "${p}" is not key=value`);
      return [p.slice(0, i).trim(), p.slice(i + 1).trim()];
    });
  } else if (typeof raw === 'object' && !Array.isArray(raw)) {
    pairs = Object.entries(raw as Record<string, unknown>);
  } else {
    throw new ShimInputError('labels', '"labels" must be an object of strings or a "k1=v1,k2=v2" string');
  }
  const out: Record<string, string> = {};
  for (const [k, v] of pairs) {
    if (typeof v !== 'string') throw new ShimInputError('labels', `label "${k}" must have a string value`);
    if (!LABEL_KEY.test(k)) throw new ShimInputError('labels', `"${k}" is not a valid label key`);
    if (v.length > 63 || !LABEL_VALUE.test(v)) throw new ShimInputError('labels', `label "${k}" has an invalid value "${v}"`);
    out[k] = v;
  }
  return out;
}
