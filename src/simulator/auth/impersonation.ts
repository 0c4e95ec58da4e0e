import type { Identity } from '../http/cluster-view.js';
import type { Exchange } from '../http/exchange.js';
import type { ObjectStore } from '../store/object-store.js';
import { forbidden, isAllowed, userOf } from './authorizer.js';
import type { Attributes } from './rbac.js';

/**
 * Impersonation (`kubectl --as`, `--as-group`): the `Impersonate-User` and
 * `Impersonate-Group` headers make the request run as someone else, when the
 * caller may `impersonate` that user and each group (as kube-apiserver
 * checks it; system:masters may impersonate anyone).
 */

const USER_HEADER = 'impersonate-user';
const GROUP_HEADER = 'impersonate-group';

/** The identity the request runs as: the caller's, or the impersonated one after the caller was allowed to take it. */
export function effectiveIdentity(ex: Exchange, store: ObjectStore, identity: Identity | undefined): Identity | undefined {
  const name = ex.header(USER_HEADER);
  if (name === undefined) return identity;
  const raw = ex.req.headers[GROUP_HEADER];
  const groups = raw === undefined ? [] : Array.isArray(raw) ? raw : [raw];
  const caller = userOf(identity);
  const wanted: Attributes[] = [
    { resourceRequest: true, verb: 'impersonate', apiGroup: '', resource: 'users', name },
    ...groups.map((g): Attributes => ({ resourceRequest: true, verb: 'impersonate', apiGroup: '', resource: 'groups', name: g })),
  ];
  for (const attrs of wanted) if (!isAllowed(store, caller, attrs)) throw forbidden(caller, attrs);
  return { user: name, groups };
}
