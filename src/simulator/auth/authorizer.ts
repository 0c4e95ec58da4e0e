import { StatusError } from '../api/errors.js';
import type { Identity } from '../http/cluster-view.js';
import type { RequestInfo } from '../http/request-info.js';
import type { ObjectStore } from '../store/object-store.js';
import { RBAC_COLLECTIONS, rbacAllows, type Attributes, type User } from './rbac.js';

/**
 * The authorization step of a fake cluster's request path, as
 * kube-apiserver runs it: `system:masters` may do anything without
 * evaluation, everyone else (anonymous included) gets what RBAC in the
 * cluster grants, and a refusal is kube's 403 Status word for word.
 * Decisions are cached per cluster and dropped on any RBAC write.
 */

export const MASTERS_GROUP = 'system:masters';
export const AUTHENTICATED_GROUP = 'system:authenticated';
export const ANONYMOUS_USER: User = { name: 'system:anonymous', groups: ['system:unauthenticated'] };
/** A cache this full is dropped whole: simpler than LRU, and refilling costs one RBAC walk per key. */
export const MAX_CACHED_DECISIONS = 4096;

/** Users by identity: a connection's identity is one object for all its requests, so this is built once per connection. */
const users = new WeakMap<Identity, User>();

/** The user kube-apiserver sees for an authenticated identity: its groups plus system:authenticated. */
export function userOf(identity: Identity | undefined): User {
  if (!identity) return ANONYMOUS_USER;
  let user = users.get(identity);
  if (!user) {
    const groups = identity.groups.includes(AUTHENTICATED_GROUP) ? identity.groups : [...identity.groups, AUTHENTICATED_GROUP];
    users.set(identity, (user = { name: identity.user, groups }));
  }
  return user;
}

/** The user part of a decision key, built once per user object. */
const userKeys = new WeakMap<User, string>();

function userKey(user: User): string {
  let key = userKeys.get(user);
  if (key === undefined) userKeys.set(user, (key = `${user.name}\u0000${user.groups.join('\u0001')}`));
  return key;
}

class DecisionCache {
  private decisions = new Map<string, boolean>();

  constructor(store: ObjectStore) {
    for (const collection of RBAC_COLLECTIONS) store.subscribe(collection, () => this.decisions.clear());
  }

  decide(key: string, evaluate: () => boolean): boolean {
    const hit = this.decisions.get(key);
    if (hit !== undefined) return hit;
    const allowed = evaluate();
    if (this.decisions.size >= MAX_CACHED_DECISIONS) this.decisions.clear();
    this.decisions.set(key, allowed);
    return allowed;
  }
}

/** Made on a cluster's first request from outside system:masters: clusters only CAPI talks to never pay for one. */
const caches = new WeakMap<ObjectStore, DecisionCache>();

export function isAllowed(store: ObjectStore, user: User, attrs: Attributes): boolean {
  if (user.groups.includes(MASTERS_GROUP)) return true;
  let cache = caches.get(store);
  if (!cache) caches.set(store, (cache = new DecisionCache(store)));
  return cache.decide(decisionKey(user, attrs), () => rbacAllows(store, user, attrs));
}

function decisionKey(user: User, a: Attributes): string {
  const who = userKey(user);
  if (!a.resourceRequest) return `${who}\u0000${a.verb}\u0000${a.path}`;
  return `${who}\u0000${a.verb}\u0000${a.apiGroup}\u0000${a.resource}\u0000${a.subresource ?? ''}\u0000${a.namespace ?? ''}\u0000${a.name ?? ''}`;
}

/** Verbs of connect subresources (exec, portforward, proxy) follow the HTTP method, as in kube's RequestInfo. */
const CONNECT_VERBS: Readonly<Record<string, string>> = { GET: 'get', HEAD: 'get', POST: 'create', PUT: 'update', PATCH: 'patch', DELETE: 'delete' };

/** kube's authorizer attributes of a request. */
export function attributesOf(method: string, info: RequestInfo, query: URLSearchParams): Attributes {
  if (!info.isResource) return { resourceRequest: false, verb: method.toLowerCase(), path: info.path };
  const verb = info.verb === 'connect' ? (CONNECT_VERBS[method] ?? method.toLowerCase()) : info.verb;
  const name = info.name ?? (verb === 'list' || verb === 'watch' ? nameFromFieldSelector(query.get('fieldSelector')) : undefined);
  return {
    resourceRequest: true,
    verb,
    apiGroup: info.group,
    resource: info.resource,
    ...(info.subresource ? { subresource: info.subresource } : {}),
    ...(info.namespace ? { namespace: info.namespace } : {}),
    ...(name ? { name } : {}),
  };
}

/** A list or watch of one object by `metadata.name=` is authorized as that object (what informers on one object rely on). */
function nameFromFieldSelector(selector: string | null): string | undefined {
  if (!selector) return undefined;
  for (const part of selector.split(',')) {
    const m = /^metadata\.name(?:==?)(.*)$/.exec(part.trim());
    if (m) return m[1];
  }
  return undefined;
}

/** kube-apiserver's 403 for a refused request (responsewriters.Forbidden). */
export function forbidden(user: User, a: Attributes): StatusError {
  if (!a.resourceRequest) {
    return new StatusError(403, 'Forbidden', `forbidden: User "${user.name}" cannot ${a.verb} path "${a.path}"`, {});
  }
  const resource = a.subresource ? `${a.resource}/${a.subresource}` : a.resource;
  const where = a.namespace ? `in the namespace "${a.namespace}"` : 'at the cluster scope';
  const why = `User "${user.name}" cannot ${a.verb} resource "${resource}" in API group "${a.apiGroup}" ${where}`;
  const qualified = a.apiGroup ? `${a.resource}.${a.apiGroup}` : a.resource;
  const message = a.name ? `${qualified} "${a.name}" is forbidden: ${why}` : `${qualified} is forbidden: ${why}`;
  return new StatusError(403, 'Forbidden', message, { ...(a.name ? { name: a.name } : {}), ...(a.apiGroup ? { group: a.apiGroup } : {}), kind: a.resource });
}

/** Throws the Status kube-apiserver answers when the request may not go on: 401 for bad credentials, 403 when RBAC refuses. */
export function authorizeRequest(store: ObjectStore, identity: Identity | undefined, credentialsSent: boolean, method: string, info: RequestInfo, query: URLSearchParams): void {
  // A credential that authenticates nobody is 401; no credential at all is the anonymous user.
  if (!identity && credentialsSent) throw new StatusError(401, 'Unauthorized', 'Unauthorized');
  // system:masters is allowed everything: no attributes to build on the path CAPI's requests take.
  if (identity?.groups.includes(MASTERS_GROUP)) return;
  const user = userOf(identity);
  const attrs = attributesOf(method, info, query);
  if (!isAllowed(store, user, attrs)) throw forbidden(user, attrs);
}
