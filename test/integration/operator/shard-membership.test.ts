import { expect } from 'chai';
import { createServer, connect, type Server, type Socket } from 'node:net';
import { KubeConfig } from '@kubernetes/client-node';
import { KubeClient } from '../../../src/operator/kube/client.js';
import { ShardMembership } from '../../../src/operator/sharding/membership.js';
import { componentLogger } from '../../../src/telemetry/logger.js';
import { startControlPlane, type ControlPlane } from '../../harness/control-plane.js';
import { eventually } from '../../support/operator-fixture.js';

const NAMESPACE = 'shard-membership';
/** Short timings so the spec runs in seconds; the ratios are the defaults'. */
const FAST = { leaseDurationMs: 3_000, renewDeadlineMs: 2_000, renewPeriodMs: 500 };
const log = componentLogger('test');

/**
 * A TCP relay to the API server that can be cut and restored. Cut, it drops
 * every byte both ways but keeps connections open, as a network partition
 * does: requests hang rather than fail, so only timeouts end them.
 */
interface Relay {
  readonly port: number;
  cut(): void;
  restore(): void;
  close(): Promise<void>;
}

async function startRelay(target: URL): Promise<Relay> {
  let open = true;
  const sockets = new Set<Socket>();
  const server: Server = createServer((client) => {
    const upstream = connect(Number(target.port), target.hostname);
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
      s.on('error', () => s.destroy());
    }
    client.on('data', (d: Buffer) => open && upstream.write(d));
    upstream.on('data', (d: Buffer) => open && client.write(d));
    client.on('end', () => upstream.end());
    upstream.on('end', () => client.end());
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return {
    port: (server.address() as { port: number }).port,
    cut: () => (open = false),
    restore: () => (open = true),
    close: () => {
      for (const s of sockets) s.destroy();
      return new Promise<void>((r) => server.close(() => r()));
    },
  };
}

/**
 * The member Leases of `--sharding` against a real kube-apiserver: what makes
 * the handover safe is that a replica cut off from the management API stops
 * serving (fences itself) before any other replica judges it dead, and that a
 * replica leaving gracefully is gone for the others at once.
 */
describe('shard membership over coordination.k8s.io Leases', function () {
  this.timeout(3 * 60_000);
  let cp: ControlPlane;
  let client: KubeClient;
  let relay: Relay;
  let cutClient: KubeClient;
  before(async () => {
    cp = await startControlPlane();
    client = KubeClient.fromFile(cp.kubeconfigPath);
    await client.create({ apiVersion: 'v1', plural: 'namespaces' }, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: NAMESPACE } });
    relay = await startRelay(new URL(cp.server));
    const kc = new KubeConfig();
    kc.loadFromString(client.kubeConfig.exportConfig());
    kc.clusters[0] = { ...kc.clusters[0]!, server: `https://127.0.0.1:${relay.port}` };
    cutClient = new KubeClient(kc);
  });
  after(async () => {
    cutClient?.close();
    client?.close();
    await relay?.close();
    await cp?.stop();
  });

  const member = (identity: string, via: KubeClient, events: { fenced?: number[]; changes?: number } = {}): ShardMembership =>
    new ShardMembership({
      client: via,
      namespace: NAMESPACE,
      identity,
      log,
      ...FAST,
      onChange: () => (events.changes = (events.changes ?? 0) + 1),
      onFenced: () => events.fenced?.push(Date.now()),
    });

  it('fences a replica cut off from the API server before the others judge it dead, and takes it back once it renews', async () => {
    const fenced: number[] = [];
    const a = member('a', cutClient, { fenced });
    const b = member('b', client);
    await Promise.all([a.start(), b.start()]);
    try {
      await eventually(async () => b.isAlive('a') && a.isAlive('b') && a.assignable().join() === 'a,b' && b.assignable().join() === 'a,b', 'both members see both', 10_000);
      relay.cut();
      const cutAt = Date.now();
      const deadAt = await eventually(async () => (b.isAlive('a') ? undefined : Date.now()), 'b judges a dead', 20_000, 10);
      expect(fenced, 'a fenced itself').to.have.length(1);
      expect(a.valid).to.equal(false);
      expect(fenced[0]!, 'a stopped serving before b judged it dead').to.be.below(deadAt);
      expect(deadAt - fenced[0]!, 'margin between the fence and the takeover').to.be.at.least(FAST.leaseDurationMs - FAST.renewDeadlineMs - FAST.renewPeriodMs);
      expect(b.assignable()).to.deep.equal(['b']);
      console.log(`      cut at 0 ms: a fenced at ${fenced[0]! - cutAt} ms, b judged it dead at ${deadAt - cutAt} ms`);

      // Connections opened during the cut are still dead: each renewal gives up by its deadline, and a fresh one gets through.
      relay.restore();
      const restoredAt = Date.now();
      await eventually(async () => a.valid && b.isAlive('a') && b.assignable().join() === 'a,b', 'a back', 20_000);
      expect(Date.now() - restoredAt, 'a serves again soon after the partition heals').to.be.below(2 * FAST.renewDeadlineMs + FAST.leaseDurationMs);
    } finally {
      a.stop();
      b.stop();
    }
  });

  it('takes a draining replica out of the assignment while it still counts as alive, and a leaving one out at once', async () => {
    const a = member('c', client);
    const b = member('d', client);
    await Promise.all([a.start(), b.start()]);
    try {
      await eventually(async () => a.assignable().join() === 'c,d', 'c sees d', 10_000);
      await b.drain();
      await eventually(async () => a.assignable().join() === 'c', 'd draining', 5_000);
      expect(a.isAlive('d'), 'a draining replica still holds what it serves').to.equal(true);
      const leftAt = Date.now();
      await b.leave();
      await eventually(async () => !a.isAlive('d'), 'd gone', 5_000, 10);
      expect(Date.now() - leftAt, 'gone without waiting for its Lease to expire').to.be.below(FAST.leaseDurationMs);
      await eventually(async () => {
        const leases = await client.list<{ metadata: { name: string } }>({ apiVersion: 'coordination.k8s.io/v1', plural: 'leases', namespace: NAMESPACE });
        return !leases.items.some((l) => l.metadata.name === 'fkas-shard-d');
      }, 'its Lease deleted', 5_000);
    } finally {
      a.stop();
      b.stop();
    }
  });
});
