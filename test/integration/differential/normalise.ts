/**
 * Reduces an answer to what a client can rely on, so two servers' answers
 * compare: volatile values (uids, timestamps, resourceVersions, generated
 * names, ports) become placeholders — still present, so a missing or extra
 * field is a difference — and orders kube does not promise are sorted.
 */

export interface Answer {
  readonly status: number;
  readonly contentType: string;
  readonly body: unknown;
}

const UID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const TIMESTAMP = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/;
const HOST_PORT = /127\.0\.0\.1:\d+/g;
/** A client certificate's fingerprint, as SelfSubjectReview shows it: each server saw a different certificate. */
const CREDENTIAL_ID = /^X509SHA256=[0-9a-f]{64}$/;
/** Keys whose values differ between any two servers by nature. */
const VOLATILE_KEYS: Readonly<Record<string, string>> = {
  resourceVersion: '<resourceVersion>',
  uid: '<uid>',
  creationTimestamp: '<timestamp>',
  time: '<timestamp>',
  buildDate: '<timestamp>',
  continue: '<continue>',
};
/** Arrays whose order kube-apiserver does not promise (it walks maps or informer caches). */
const UNORDERED_ARRAYS = new Set(['resourceRules', 'nonResourceRules', 'causes', 'verbs', 'resources', 'apiGroups', 'nonResourceURLs']);

export function normaliseAnswer(status: number, contentType: string | undefined, text: string): Answer {
  let body: unknown;
  if ((contentType ?? '').includes('json') && text !== '') {
    try {
      body = normaliseValue(JSON.parse(text), '');
    } catch {
      body = text;
    }
  } else {
    body = text.replace(HOST_PORT, '127.0.0.1:<port>');
  }
  return { status, contentType: contentType ?? '', body };
}

/** A Table cell holding an age (`5s`, `3m2s`, `<unknown>` stays): it depends on when the row was rendered. */
const AGE = /^(\d+d)?(\d+h)?(\d+m)?(\d+s)?$/;

function normaliseValue(v: unknown, key: string): unknown {
  if (key === 'cells' && Array.isArray(v)) return v.map((c) => (typeof c === 'string' && c !== '' && AGE.test(c) ? '<age>' : normaliseValue(c, '')));
  if (typeof v === 'string') {
    if (key in VOLATILE_KEYS && v !== '') return VOLATILE_KEYS[key];
    if (UID.test(v)) return '<uid>';
    if (CREDENTIAL_ID.test(v)) return 'X509SHA256=<fingerprint>';
    if (TIMESTAMP.test(v)) return '<timestamp>';
    return v.replace(HOST_PORT, '127.0.0.1:<port>');
  }
  if (Array.isArray(v)) {
    const items = v.map((x) => normaliseValue(x, key));
    return UNORDERED_ARRAYS.has(key) ? items.sort((a, b) => (JSON.stringify(a) < JSON.stringify(b) ? -1 : 1)) : items;
  }
  if (typeof v === 'object' && v !== null) {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(v).sort()) out[k] = normaliseValue((v as Record<string, unknown>)[k], k);
    return out;
  }
  return v;
}

export interface Difference {
  /** JSON path inside the answer: `status`, `contentType`, `body.details.group`. */
  readonly path: string;
  readonly real: unknown;
  readonly fake: unknown;
}

/** Every leaf where the two answers differ. */
export function differences(real: unknown, fake: unknown, path = ''): Difference[] {
  if (JSON.stringify(real) === JSON.stringify(fake)) return [];
  const bothObjects = typeof real === 'object' && real !== null && typeof fake === 'object' && fake !== null && Array.isArray(real) === Array.isArray(fake);
  if (!bothObjects) return [{ path: path || '.', real, fake }];
  if (Array.isArray(real) && Array.isArray(fake) && real.length !== fake.length) return [{ path: `${path}.length`, real: real, fake: fake }];
  const keys = new Set([...Object.keys(real as object), ...Object.keys(fake as object)]);
  const out: Difference[] = [];
  for (const k of [...keys].sort()) {
    out.push(...differences((real as Record<string, unknown>)[k], (fake as Record<string, unknown>)[k], path ? `${path}.${k}` : k));
  }
  return out;
}
