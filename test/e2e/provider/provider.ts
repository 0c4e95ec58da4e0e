import { isNotFound, type KubeClient, type ResourcePath } from '../../../src/operator/kube/client.js';
import { Informer, keyOf } from '../../../src/operator/kube/informer.js';
import { WorkQueue, type ReconcileResult } from '../../../src/operator/queue/work-queue.js';
import { splitKey } from '../../../src/operator/context.js';
import type { Logger } from '../../../src/telemetry/logger.js';

/**
 * A test-only infrastructure provider, the smallest one Cluster API's v1beta2
 * contract accepts: E2ECluster reports provisioned with the endpoint its
 * spec carries (a FakeAPIServer's), E2EMachine waits for bootstrap data,
 * then sets a providerID and reports provisioned. It creates no FakeNodes:
 * metal3-fkas's Machine-based node reconciler does that, as it would for
 * any real provider.
 */

export const E2E_API_VERSION = 'e2e.fkas.metal3.io/v1alpha1';
export const PROVIDER_ID_SCHEME = 'fkas-e2e://';
/** A Machine's bootstrap data comes from another controller: look again this often. */
const WAIT_FOR_BOOTSTRAP_MS = 500;
const CONCURRENCY = 4;

interface Obj {
  metadata: { name: string; namespace?: string; ownerReferences?: { kind: string; name: string; apiVersion: string }[]; deletionTimestamp?: string };
  spec?: Record<string, unknown>;
  status?: Record<string, unknown>;
}

interface Machine extends Obj {
  spec: { bootstrap?: { dataSecretName?: string } };
}

const path = (plural: string, namespace: string, name?: string): ResourcePath => ({ apiVersion: E2E_API_VERSION, plural, namespace, ...(name ? { name } : {}) });
const PROVISIONED = { initialization: { provisioned: true }, ready: true };

export class E2EInfrastructureProvider {
  private readonly informers: Informer[] = [];
  private readonly queues: WorkQueue[] = [];

  constructor(
    private readonly client: KubeClient,
    private readonly log: Logger,
  ) {}

  async start(): Promise<void> {
    this.watch('e2eclusters', (key) => this.reconcileCluster(key));
    this.watch('e2emachines', (key) => this.reconcileMachine(key));
    await Promise.all(this.informers.map((i) => i.synced));
  }

  async stop(): Promise<void> {
    for (const i of this.informers) i.stop();
    await Promise.all(this.queues.map((q) => q.shutdown()));
  }

  private watch(plural: string, reconcile: (key: string) => Promise<ReconcileResult | void>): void {
    const queue = new WorkQueue({ name: plural, concurrency: CONCURRENCY, reconcile, log: this.log });
    const informer = new Informer(this.client, { resource: { apiVersion: E2E_API_VERSION, plural }, log: this.log, onEvent: (_t, o) => queue.add(keyOf(o)) });
    this.queues.push(queue);
    this.informers.push(informer);
    informer.start();
  }

  private async reconcileCluster(key: string): Promise<void> {
    const { namespace, name } = splitKey(key);
    const cluster = await this.fetch(path('e2eclusters', namespace, name));
    if (!cluster || cluster.metadata.deletionTimestamp) return;
    await this.client.patch({ ...path('e2eclusters', namespace, name), subresource: 'status' }, 'merge', { status: PROVISIONED });
  }

  private async reconcileMachine(key: string): Promise<ReconcileResult | void> {
    const { namespace, name } = splitKey(key);
    const infra = await this.fetch(path('e2emachines', namespace, name));
    if (!infra || infra.metadata.deletionTimestamp) return;
    const owner = infra.metadata.ownerReferences?.find((o) => o.kind === 'Machine' && o.apiVersion.startsWith('cluster.x-k8s.io/'));
    if (!owner) return { requeueAfterMs: WAIT_FOR_BOOTSTRAP_MS };
    const machine = (await this.fetch({ apiVersion: 'cluster.x-k8s.io/v1beta2', plural: 'machines', namespace, name: owner.name })) as Machine | undefined;
    if (!machine?.spec.bootstrap?.dataSecretName) return { requeueAfterMs: WAIT_FOR_BOOTSTRAP_MS };
    const providerID = `${PROVIDER_ID_SCHEME}${namespace}/${machine.metadata.name}`;
    if (infra.spec?.providerID !== providerID) await this.client.patch(path('e2emachines', namespace, name), 'merge', { spec: { providerID } });
    await this.client.patch({ ...path('e2emachines', namespace, name), subresource: 'status' }, 'merge', { status: PROVISIONED });
  }

  private async fetch(p: ResourcePath): Promise<Obj | undefined> {
    try {
      return await this.client.get<Obj>(p);
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  }
}
