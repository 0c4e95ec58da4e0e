import { expect } from 'chai';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KubeClient } from '../../../src/operator/kube/client.js';
import { LeaderElector } from '../../../src/operator/leader-election.js';
import { componentLogger } from '../../../src/telemetry/logger.js';
import { freePort, logTail, startControlPlane, waitUntil, type ControlPlane } from '../../harness/control-plane.js';
import { ManagedProcess } from '../../harness/processes.js';
import { REPO_ROOT } from '../../harness/tools.js';
import { connectionRefused, eventually } from '../../support/operator-fixture.js';

const log = componentLogger('test');
/** Short timings so takeovers happen within a test; the ratios are client-go's. */
const FAST = { leaseDurationMs: 3000, renewDeadlineMs: 2000, retryPeriodMs: 250 };
const LEASE = { apiVersion: 'coordination.k8s.io/v1', plural: 'leases', namespace: 'default' };

describe('leader election over a coordination.k8s.io Lease (--leader-elect)', function () {
  this.timeout(5 * 60_000);
  let cp: ControlPlane;
  let client: KubeClient;
  before(async () => {
    cp = await startControlPlane({ crds: [join(REPO_ROOT, 'crds')] });
    client = KubeClient.fromFile(cp.kubeconfigPath);
  });
  after(async () => {
    client?.close();
    await cp?.stop();
  });

  const elector = (name: string, identity: string): LeaderElector => new LeaderElector({ client, namespace: 'default', name, identity, log, ...FAST });

  it('lets one candidate lead while the other waits, and hands over at once when the leader releases', async () => {
    const a = elector('handover', 'a');
    const b = elector('handover', 'b');
    await a.acquire(() => undefined);
    let bLeads = false;
    const bDone = b.acquire(() => undefined).then(() => (bLeads = true));
    await new Promise((r) => setTimeout(r, FAST.leaseDurationMs + 500));
    expect(bLeads, 'b while a renews').to.equal(false);
    const released = Date.now();
    await a.release();
    await bDone;
    expect(Date.now() - released).to.be.below(FAST.leaseDurationMs);
    const lease = await client.get<{ spec: { holderIdentity: string; leaseTransitions: number } }>({ ...LEASE, name: 'handover' });
    expect(lease.spec).to.include({ holderIdentity: 'b', leaseTransitions: 1 });
    await b.release();
  });

  it('tells the leader it lost the Lease when another holder took it, instead of serving on', async () => {
    const a = elector('stolen', 'a');
    let lost = false;
    await a.acquire(() => (lost = true));
    const lease = await client.get<Record<string, unknown> & { spec: Record<string, unknown> }>({ ...LEASE, name: 'stolen' });
    const now = new Date().toISOString().replace('Z', '000Z');
    await client.replace({ ...LEASE, name: 'stolen' }, { ...lease, spec: { ...lease.spec, holderIdentity: 'intruder', renewTime: now, leaseDurationSeconds: 60 } });
    await eventually(async () => lost, 'a notices', 10_000);
    expect(a.isLeader).to.equal(false);
  });

  it('refuses timings a Lease cannot work with', () => {
    expect(() => new LeaderElector({ client, namespace: 'default', name: 'x', log, leaseDurationMs: 1000, renewDeadlineMs: 2000, retryPeriodMs: 100 })).to.throw(/lease duration .* > renew deadline/);
  });

  it('runs two operator replicas: only the leader serves; when it is SIGKILLed the standby serves the same endpoint', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'fkas-le-'));
    const probes = [await freePort(), await freePort()];
    const replicas = probes.map((probePort, i) => {
      const p = new ManagedProcess(`fkas-operator-${i}`, process.execPath, [
        '--import', 'tsx', join(REPO_ROOT, 'src/cli/main.ts'), 'operator', '--leader-elect', '--leader-elect-namespace', 'default',
        '--kubeconfig', cp.kubeconfigPath, '--port-range', '31300-31399', '--probe-port', String(probePort), '--shim-port', '0',
      ], join(dir, `operator-${i}.log`), { ...process.env, FKAS_LOG_LEVEL: 'info' });
      p.start();
      return p;
    });
    const status = async (port: number, path = '/readyz'): Promise<number> => (await fetch(`http://127.0.0.1:${port}${path}`).catch(() => undefined))?.status ?? 0;
    try {
      // Both alive first (starting takes seconds on a busy machine), then exactly one leads.
      await eventually(async () => (await Promise.all(probes.map((p) => status(p, '/healthz')))).every((s) => s === 200), 'both replicas alive', 60_000);
      const leader = await eventually(async () => {
        const s = await Promise.all(probes.map((p) => status(p)));
        return s.includes(200) ? s.indexOf(200) : undefined;
      }, 'a leader', 60_000).catch(async (err: Error) => {
        throw new Error(`${err.message}; logs:\n${await logTail(join(dir, 'operator-0.log'))}\n${await logTail(join(dir, 'operator-1.log'))}`);
      });
      const standby = 1 - leader;
      expect(await status(probes[standby]!), `standby /readyz; its log: ${await logTail(join(dir, `operator-${standby}.log`))}`).to.equal(503);
      await client.create({ apiVersion: 'fkas.metal3.io/v1alpha1', plural: 'fakeapiservers', namespace: 'default' }, { apiVersion: 'fkas.metal3.io/v1alpha1', kind: 'FakeAPIServer', metadata: { name: 'ha', namespace: 'default' }, spec: {} });
      const endpoint = await eventually(async () => {
        const o = await client.get<{ status?: { endpoint?: { port: number }; conditions?: { type: string; status: string }[] } }>({ apiVersion: 'fkas.metal3.io/v1alpha1', plural: 'fakeapiservers', namespace: 'default', name: 'ha' });
        return o.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ? o.status.endpoint : undefined;
      }, 'ha Ready', 60_000);
      expect(await connectionRefused('127.0.0.1', endpoint!.port)).to.equal(false);

      replicas[leader]!.killGroup('SIGKILL');
      await eventually(async () => (await status(probes[standby]!)) === 200, 'the standby leads and is ready', 60_000);
      await waitUntil('new leader', replicas[standby]!, async () => !(await connectionRefused('127.0.0.1', endpoint!.port)));
    } finally {
      for (const r of replicas) await r.stop();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
