/**
 * Which serialization a client's Accept header asks for, as kube-apiserver
 * negotiates it: clauses by quality (ties keep their order), the first
 * media type it serves wins; `as=` clauses (Tables, metadata) are decided
 * elsewhere.
 */

export const PROTOBUF_MEDIA_TYPE = 'application/vnd.kubernetes.protobuf';
const JSON_LIKE = new Set(['application/json', 'application/yaml', '*/*', 'application/*']);

const cache = new Map<string, boolean>();
/** Distinct Accept headers remembered (clients send a handful). */
const CACHE_LIMIT = 64;

export function prefersProtobuf(accept: string | undefined): boolean {
  if (!accept || !accept.includes(PROTOBUF_MEDIA_TYPE)) return false;
  let answer = cache.get(accept);
  if (answer === undefined) {
    answer = negotiate(accept);
    if (cache.size < CACHE_LIMIT) cache.set(accept, answer);
  }
  return answer;
}

function negotiate(accept: string): boolean {
  const clauses = accept.split(',').map((raw, order) => {
    const [type = '', ...params] = raw.split(';').map((p) => p.trim());
    const q = params.find((p) => p.startsWith('q='));
    return { type: type.toLowerCase(), q: q ? Number(q.slice(2)) : 1, as: params.some((p) => p.startsWith('as=')), order };
  });
  clauses.sort((a, b) => b.q - a.q || a.order - b.order);
  for (const c of clauses) {
    if (c.as || c.q <= 0) continue;
    if (c.type === PROTOBUF_MEDIA_TYPE) return true;
    if (JSON_LIKE.has(c.type)) return false;
  }
  return false;
}
