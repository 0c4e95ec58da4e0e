import type { FakeAPIServer } from '../../api/v1alpha1.js';
import type { OperatorContext } from '../../context.js';
import { stopServing } from './serving.js';
import { fasPath } from './status.js';

/**
 * With `--sharding`, before anything else a reconcile does: whether this
 * replica acts on the FakeAPIServer now (sharding/ownership.ts decides),
 * and with which version of it (a claim's answer is newer than the cache).
 * What it must give up it gives up here, in the order the handover needs:
 * the listener closes and the store has every write before the claim is
 * cleared for the next owner.
 */
export async function takeShardTurn(ctx: OperatorContext, key: string, fas: FakeAPIServer): Promise<FakeAPIServer | undefined> {
  const shard = ctx.shard;
  if (!shard) return fas;
  const path = fasPath(fas.metadata.namespace!, fas.metadata.name);
  switch (shard.decide(key, fas)) {
    case 'serve':
      return fas;
    case 'claim':
      // Lost to a concurrent write: the event of that write brings the key back.
      return shard.claim(key, fas, path);
    case 'release':
      await stopServing(ctx, key);
      await ctx.statuses.fakeApiServers.relinquish(key);
      await shard.release(key, fas, path);
      ctx.log.info({ fakeApiServer: key, to: shard.assignee(key) }, 'handed the fake cluster over');
      return undefined;
    case 'elsewhere':
      await stopServing(ctx, key);
      await ctx.statuses.fakeApiServers.relinquish(key);
      return undefined;
  }
}
