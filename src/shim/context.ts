import type { Condition, FakeAPIServer, FakeNode } from '../operator/api/v1alpha1.js';
import type { KubeClient } from '../operator/kube/client.js';
import type { Informer } from '../operator/kube/informer.js';
import type { Logger } from '../telemetry/logger.js';
import type { DecidedStatuses, Waiters } from './waiters.js';

/** The caches the shim reads and waits on: the operator's own informers when it runs in the same process. */
export interface ShimInformers {
  readonly fakeApiServers: Informer<FakeAPIServer>;
  readonly fakeNodes: Informer<FakeNode>;
  /** Statuses the operator has decided and not yet written, when the shim runs in its process. */
  readonly statuses?: { readonly fakeApiServers: DecidedStatuses; readonly fakeNodes: DecidedStatuses };
}

/** Everything a shim handler needs. */
export interface ShimContext extends ShimInformers {
  readonly client: KubeClient;
  readonly log: Logger;
  readonly waitMs: number;
  readonly fakeApiServerWaiters: Waiters<FakeAPIServer>;
  readonly fakeNodeWaiters: Waiters<FakeNode>;
}

/** The FakeAPIServer of a cluster in the cache: named after it, or naming it in spec.clusterName. */
export function cachedFakeApiServer(ctx: ShimInformers, namespace: string, cluster: string): FakeAPIServer | undefined {
  const byName = ctx.fakeApiServers.get(`${namespace}/${cluster}`);
  if (byName && (byName.spec?.clusterName || byName.metadata.name) === cluster) return byName;
  return ctx.fakeApiServers.list().find((f) => f.metadata.namespace === namespace && (f.spec?.clusterName || f.metadata.name) === cluster);
}

/** "Ready False (PortConflict): port 32001 is taken" — what a 504 tells the client about the object. */
export function describeCondition(object: { status?: { conditions?: Condition[] } } | undefined, type: string): string | undefined {
  const c = object?.status?.conditions?.find((x) => x.type === type);
  return c ? `${type} ${c.status} (${c.reason}): ${c.message}` : object ? `no ${type} condition yet` : 'not in the cache yet';
}
