import { API_VERSION, FAKE_API_SERVER, FAKE_API_SERVER_FINALIZER, type FakeAPIServer } from '../operator/api/v1alpha1.js';
import { isAlreadyExists } from '../operator/kube/client.js';
import { cachedFakeApiServer, describeCondition, type ShimContext } from './context.js';
import type { Deadline } from './deadline.js';
import { fromManagementApi, ShimError } from './errors.js';
import { parseRegister } from './requests.js';
import type { Verdict } from './waiters.js';

/**
 * POST /register: make sure a FakeAPIServer exists for the cluster and
 * answer with its endpoint once the operator serves it. One management-API
 * call for a new cluster (the create), none for one that already serves.
 */

export interface RegisterAnswer {
  readonly Resource: string;
  readonly Host: string;
  readonly Port: number;
}

export async function register(ctx: ShimContext, raw: unknown, deadline: Deadline): Promise<RegisterAnswer> {
  const req = parseRegister(raw);
  const { namespace, cluster } = req;
  const existing = cachedFakeApiServer(ctx, namespace, cluster);
  const name = existing?.metadata.name ?? cluster;
  let uid: string | undefined;
  if (!existing) uid = await createFakeApiServer(ctx, namespace, cluster, deadline);
  const key = `${namespace}/${name}`;
  const waiting = ctx.fakeApiServerWaiters.wait(key, (o) => serving(o, key, uid));
  try {
    const fas = await deadline.race(`waiting for the operator to serve FakeAPIServer ${key}`, waiting.result, () => describeCondition(ctx.fakeApiServers.get(key), 'Ready'));
    return { Resource: `${namespace}/${cluster}`, Host: fas.status!.endpoint!.host, Port: fas.status!.endpoint!.port };
  } finally {
    waiting.cancel();
  }
}

/** Creates it; returns its uid, or undefined when someone else created it first (a concurrent /register, kubectl). */
async function createFakeApiServer(ctx: ShimContext, namespace: string, cluster: string, deadline: Deadline): Promise<string | undefined> {
  const doing = `creating FakeAPIServer ${namespace}/${cluster}`;
  // Created with the operator's finalizer already on: the operator need not write it.
  const body = { apiVersion: API_VERSION, kind: FAKE_API_SERVER.kind, metadata: { name: cluster, namespace, finalizers: [FAKE_API_SERVER_FINALIZER] }, spec: { clusterName: cluster } };
  try {
    const created = await deadline.race(doing, ctx.client.create<FakeAPIServer>({ apiVersion: API_VERSION, plural: FAKE_API_SERVER.plural, namespace }, body));
    return created.metadata.uid;
  } catch (err) {
    if (isAlreadyExists(err)) return undefined;
    throw fromManagementApi(err, doing, namespace);
  }
}

/** Done when Ready with an endpoint; for the object this request created, not an older one of the same name still in the cache. */
function serving(o: FakeAPIServer | undefined, key: string, uid: string | undefined): Verdict<FakeAPIServer> {
  if (!o || (uid !== undefined && o.metadata.uid !== uid)) return undefined;
  if (o.metadata.deletionTimestamp) return { fail: new ShimError(409, `FakeAPIServer ${key} is being deleted: send the request again once it is gone`, 'cluster') };
  const ready = o.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True');
  return ready && o.status?.endpoint ? { done: o } : undefined;
}
