import { jsonEqual } from '../../../simulator/store/object.js';
import { API_VERSION, FAKE_NODE, FAKE_NODE_FINALIZER, type Condition, type FakeNode, type FakeNodeStatus } from '../../api/v1alpha1.js';
import { fakeApiServerKeyFor, splitKey, type OperatorContext, type ServedCluster } from '../../context.js';
import type { ResourcePath } from '../../kube/client.js';
import { addFinalizer, removeFinalizer, setCondition } from '../../kube/objects.js';
import { withProgress } from '../../kube/progress-conditions.js';
import type { ReconcileResult } from '../../queue/work-queue.js';
import { registerNode, removeNode } from './register-node.js';
import { nodeSpecProblems } from './spec.js';

/**
 * FakeNode → a Node in its fake cluster (register-node.ts does the writes),
 * its finalizer, and status conditions that say how registration went.
 */

/** While its FakeAPIServer is not serving, look again this often (its events also wake us). */
const WAIT_FOR_SERVER_MS = 5_000;

export function fakeNodePath(namespace: string, name?: string): ResourcePath {
  return { apiVersion: API_VERSION, plural: FAKE_NODE.plural, namespace, ...(name ? { name } : {}) };
}

export async function reconcileFakeNode(ctx: OperatorContext, key: string): Promise<ReconcileResult | void> {
  const { namespace, name } = splitKey(key);
  const path = fakeNodePath(namespace, name);
  // From the informer's cache: the key was queued by its event, so the object is there unless it is gone.
  const fn = ctx.fakeNodes.get(key);
  if (!fn) return;
  const fasKey = fakeApiServerKeyFor(ctx, namespace, fn.spec?.clusterName ?? '');
  const served = fasKey ? ctx.served.get(fasKey) : undefined;
  if (!served && ctx.shard && !shardActsForNode(ctx, fn, fasKey)) return;
  if (fn.metadata.deletionTimestamp) {
    if (served && fn.spec?.nodeName) removeNode(served.cluster, fn.spec.nodeName);
    await removeFinalizer(ctx.client, path, fn, FAKE_NODE_FINALIZER);
    if (fasKey) ctx.fasQueue.add(fasKey);
    return;
  }
  await addFinalizer(ctx.client, path, fn, FAKE_NODE_FINALIZER);
  const gen = fn.metadata.generation;
  const now = ctx.now();
  let conditions = (ctx.statuses.fakeNodes.decided(key) ?? fn.status)?.conditions ?? [];
  const problems = nodeSpecProblems(fn);
  if (problems.length) {
    // Nothing to retry: the next spec change brings the object back.
    const message = `cannot register this spec: ${problems.join('; ')}`;
    conditions = setCondition(conditions, { type: 'Registered', status: 'False', reason: 'InvalidSpec', message }, gen, now);
    conditions = setCondition(conditions, { type: 'Ready', status: 'False', reason: 'InvalidSpec', message }, gen, now);
    conditions = withProgress(conditions, 'Stalled', 'InvalidSpec', message, gen, now);
    writeStatus(ctx, fn, { observedGeneration: gen ?? 0, conditions });
    return;
  }
  if (!served) {
    const message = fasKey
      ? `FakeAPIServer ${fasKey} is not serving yet`
      : `no FakeAPIServer with clusterName ${fn.spec.clusterName} in namespace ${namespace}; create one (or fix spec.clusterName)`;
    conditions = setCondition(conditions, { type: 'Registered', status: 'False', reason: 'WaitingForFakeAPIServer', message }, gen, now);
    conditions = setCondition(conditions, { type: 'Ready', status: 'False', reason: 'WaitingForFakeAPIServer', message }, gen, now);
    conditions = withProgress(conditions, 'Progressing', 'WaitingForFakeAPIServer', message, gen, now);
    writeStatus(ctx, fn, { observedGeneration: gen ?? 0, conditions });
    return { requeueAfterMs: WAIT_FOR_SERVER_MS };
  }
  try {
    registerFakeNode(ctx, served, fn);
  } catch (err) {
    const message = `registering node ${fn.spec.nodeName} failed: ${(err as Error).message.split('\n')[0]}`;
    conditions = setCondition(conditions, { type: 'Registered', status: 'False', reason: 'RegistrationFailed', message }, gen, now);
    conditions = withProgress(conditions, 'Progressing', 'RegistrationFailed', message, gen, now); // retried with backoff
    writeStatus(ctx, fn, { observedGeneration: gen ?? 0, conditions });
    throw err;
  }
  // The FakeAPIServer's node count follows at once: its StatusWriter folds a burst of registrations, and
  // a new cluster's Ready, into one write.
  ctx.fasQueue.add(fasKey!);
  const ready = fn.spec.ready ?? true;
  conditions = setCondition(conditions, { type: 'Registered', status: 'True', reason: 'NodeRegistered', message: `node ${fn.spec.nodeName} is registered in ${fn.spec.clusterName}` }, gen, now);
  conditions = setCondition(
    conditions,
    ready
      ? { type: 'Ready', status: 'True', reason: 'KubeletReady', message: 'the fake node reports Ready' }
      : { type: 'Ready', status: 'False', reason: 'NotReadyBySpec', message: 'spec.ready is false: the node reports NotReady' },
    gen,
    now,
  );
  // Registered as the spec asks, NotReady included: nothing left to do.
  conditions = withProgress(conditions, 'Done', 'NodeRegistered', `node ${fn.spec.nodeName} is registered in ${fn.spec.clusterName}`, gen, now);
  writeStatus(ctx, fn, { observedGeneration: gen ?? 0, conditions });
}

/**
 * Sharded, a FakeNode is the business of the replica serving its cluster
 * (or, for a cluster no FakeAPIServer names, of the replica its key is
 * assigned to). While its cluster is not served here nobody writes its
 * status — it is moving between replicas, and the FakeAPIServer's reconcile
 * queues its nodes once it serves — but the replica that will serve it
 * takes a deletion's finalizer off.
 */
function shardActsForNode(ctx: OperatorContext, fn: FakeNode, fasKey: string | undefined): boolean {
  const shard = ctx.shard!;
  const fas = fasKey ? ctx.fakeApiServers.get(fasKey) : undefined;
  if (!fas) return shard.actsForOrphan(`${fn.metadata.namespace}/${fn.spec?.clusterName ?? ''}`);
  return Boolean(fn.metadata.deletionTimestamp) && shard.actsFor(fasKey!, fas);
}

/** The Node and what comes with its role, as the spec says, in the cluster served for it. Idempotent. */
function registerFakeNode(ctx: OperatorContext, served: ServedCluster, fn: FakeNode): void {
  const facts = {
    kubernetesVersion: served.version,
    controlPlaneEndpoint: `${served.host}:${served.port}`,
    caCertPem: ctx.simulator.caOf(served.cluster.name)?.certPem ?? '',
    contents: ctx.clusterContents,
    ...(ctx.workloadTemplateDir ? { templateDir: ctx.workloadTemplateDir } : {}),
  };
  registerNode(served.cluster, facts, fn.spec, ctx.now());
}

/** Hands the status to the kind's StatusWriter (batched writes), unless it is what was decided last. */
function writeStatus(ctx: OperatorContext, fn: FakeNode, status: FakeNodeStatus): void {
  const strip = (s: FakeNodeStatus | undefined): unknown => (s ? { ...s, conditions: s.conditions?.map((c: Condition) => ({ ...c, lastTransitionTime: undefined })) } : undefined);
  const key = `${fn.metadata.namespace}/${fn.metadata.name}`;
  if (jsonEqual(strip(ctx.statuses.fakeNodes.decided(key) ?? fn.status), strip(status))) return;
  // Back to what the server holds before a write went out (a node that waited for its cluster at a restart).
  if (jsonEqual(strip(fn.status), strip(status)) && ctx.statuses.fakeNodes.withdraw(key)) return;
  ctx.statuses.fakeNodes.decide(key, fakeNodePath(fn.metadata.namespace!, fn.metadata.name), status, JSON.stringify(strip(status)));
}
