import { FAKE_API_SERVER_FINALIZER, type FakeAPIServer } from '../../api/v1alpha1.js';
import type { OperatorContext } from '../../context.js';
import { addFinalizer, removeFinalizer } from '../../kube/objects.js';
import type { ReconcileResult } from '../../queue/work-queue.js';
import { caSecretNames, ensureCertificates } from './certificates.js';
import { ensureServing, stopServing } from './serving.js';
import { takeShardTurn } from './shard-turn.js';
import { ensureSimulation } from './simulation.js';
import { specProblems } from './spec.js';
import { CONDITION, fasPath, StatusReport } from './status.js';

/**
 * FakeAPIServer → a serving fake cluster, as a list of ensure-steps:
 * finalizer, a spec we can act on, CAs (CAPI's Secrets, created when
 * absent), a listener on a stable port, and a status with the endpoint and
 * a Ready condition. Deletion closes the listener and frees the port before
 * the finalizer goes. Reads come from the informer's cache.
 */

/** How often to look again at a FakeAPIServer that waits on something we do not watch (a Secret, a port). */
const RETRY_LATER_MS = 15_000;

export async function reconcileFakeApiServer(ctx: OperatorContext, key: string): Promise<ReconcileResult | void> {
  const cached = ctx.fakeApiServers.get(key);
  if (!cached) {
    const wasServing = await stopServing(ctx, key);
    // Deleted for good: a durable store drops its contents (sharded, only the replica that served it).
    if (!ctx.shard || wasServing) await ctx.simulator.forgetCluster(key);
    return;
  }
  const fas = await takeShardTurn(ctx, key, cached);
  if (!fas) return;
  if (fas.metadata.deletionTimestamp) return finalize(ctx, key, fas);
  await addFinalizer(ctx.client, fasPath(fas.metadata.namespace!, fas.metadata.name), fas, FAKE_API_SERVER_FINALIZER);
  const report = new StatusReport(ctx, fas);

  const problems = specProblems(fas);
  if (problems.length) {
    // Nothing to retry: the next spec change brings the object back. A served cluster keeps its contents.
    const still = ctx.served.has(key) ? ' (still serving the last valid spec)' : '';
    await report.fail(CONDITION.ready, 'InvalidSpec', `cannot serve this spec: ${problems.join('; ')}${still}`);
    return;
  }
  const cas = await ensureCertificates(ctx, key, fas, report);
  if (!cas) return { requeueAfterMs: RETRY_LATER_MS };
  const servedBefore = ctx.served.has(key);
  const serving = await ensureServing(ctx, key, fas, cas, report);
  if (!serving) return { requeueAfterMs: RETRY_LATER_MS };
  // Taken over from another replica: its FakeNodes register here now (they do not wait while it is served elsewhere).
  if (ctx.shard && !servedBefore && ctx.served.has(key)) for (const k of ctx.index.nodesOf(fas)) ctx.nodeQueue.add(k);
  if ('requeueAfterMs' in serving) return serving;
  if (!(await ensureSimulation(ctx, serving.served, fas, report))) return;
  // CAs just read from their Secrets are trusted for a while; reused ones keep their read time.
  if (serving.served.casChecked?.cas !== cas) serving.served.casChecked = { cas, atMs: ctx.now().getTime(), generation: fas.metadata.generation };

  const message = `serving at https://${serving.endpoint.host}:${serving.endpoint.port}`;
  report.set(CONDITION.serving, 'True', 'Listening', message);
  report.set(CONDITION.ready, 'True', 'Serving', message);
  report.write({ endpoint: { ...serving.endpoint }, nodes: serving.served.cluster.resources.store.count('/nodes') });
}

async function finalize(ctx: OperatorContext, key: string, fas: FakeAPIServer): Promise<void> {
  if (await stopServing(ctx, key)) await new StatusReport(ctx, fas).event('Normal', 'Stopped', 'listener closed and port released');
  await ctx.simulator.forgetCluster(key); // deleted for good: a durable store drops its contents
  const names = caSecretNames(fas);
  ctx.caSecrets.forget(fas.metadata.namespace!, names.ca);
  ctx.caSecrets.forget(fas.metadata.namespace!, names.etcd);
  await removeFinalizer(ctx.client, fasPath(fas.metadata.namespace!, fas.metadata.name), fas, FAKE_API_SERVER_FINALIZER);
}
