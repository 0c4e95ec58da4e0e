import { expect } from 'chai';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  clusterProvisioned,
  conditionOf,
  controlPlaneReady,
  isControlPlane,
  isTrue,
  machineIdentities,
  machinesMarkedForRemediation,
  machinesOf,
  paths,
  requestReconcile,
  waitFor,
  type CapiObject,
  type Condition,
} from './support/capi-state.js';
import { startE2EEnvironment, type E2EEnvironment } from './support/environment.js';
import { samples, sumBy } from './support/prometheus-text.js';
import { Timings } from './support/timings.js';
import { connectionRefused } from '../support/operator-fixture.js';

/**
 * spec.simulation seen through the real Cluster API controllers: a slow
 * workload API server, an unhealthy etcd member and a dead API server are
 * what CAPI reports them as, and CAPI's load on the cluster is visible per
 * controller in the operator's metrics. One cluster carries the three
 * scenarios in turn, to keep the suite's wall time down.
 */

const PROVISION_MS = 5 * 60_000;
/**
 * One etcd member. KCP (v1.13) reads the member list and alarms from the first member that answers
 * and does not ask each member: an unreachable member next to healthy ones changes none of its
 * conditions, the only member unreachable makes EtcdClusterHealthy Unknown, an alarm makes it False.
 */
const CONTROL_PLANE = 1;
const SIMULATED_LATENCY = '200ms';
const SIMULATED_LATENCY_S = 0.2;
/** Issue 16: the API server stays down this long. CAPI's --remote-connection-grace-period is 50 s by default. */
const DOWN_FOR_MS = 60_000;
const CONDITION_MS = 3 * 60_000;
/** User-Agents of the CAPI managers start with their binary's name (remote.DefaultClusterAPIUserAgent). */
const CAPI_CLIENTS = ['capi-manager', 'capi-kubeadm-control-plane', 'capi-kubeadm-bootstrap'];

describe('spec.simulation with the real Cluster API controllers', function () {
  this.timeout(30 * 60_000);
  const timings = new Timings();
  let env: E2EEnvironment;
  const ns = 'e2e-sim';
  const name = 'sim';
  /**
   * Replaces spec.simulation as a whole (null removes it), so no scenario inherits another's
   * settings, and waits until the operator applied it (the status observed that generation).
   */
  async function simulate(simulation: Record<string, unknown> | null): Promise<void> {
    const patch = simulation === null ? ['--type=merge', '-p', '{"spec":{"simulation":null}}'] : ['--type=json', '-p', JSON.stringify([{ op: 'add', path: '/spec/simulation', value: simulation }])];
    await env.kubectl(['patch', 'fakeapiserver', '-n', ns, name, ...patch]);
    await waitFor(env, ns, 'simulation applied', 30_000, async () => {
      const o = await env.get<{ metadata: { generation?: number }; status?: { observedGeneration?: number } }>({ apiVersion: 'fkas.metal3.io/v1alpha1', plural: 'fakeapiservers', namespace: ns, name });
      return o.status?.observedGeneration === o.metadata.generation;
    });
  }
  /** KCP's EtcdClusterHealthy once it has `status`, after asking KCP to look (it re-checks etcd only when it reconciles). */
  async function etcdClusterHealthy(status: 'True' | 'False' | 'Unknown'): Promise<Condition> {
    await requestReconcile(env, 'kcp', ns, name);
    return waitFor(env, ns, `EtcdClusterHealthy ${status}`, CONDITION_MS, async () => {
      const c = conditionOf(await kcp(), 'EtcdClusterHealthy');
      return c?.status === status ? c : undefined;
    });
  }
  const cluster = (): Promise<CapiObject> => env.get<CapiObject>(paths.cluster(ns, name));
  const kcp = (): Promise<CapiObject> => env.get<CapiObject>(paths.kcp(ns, name));

  before(async () => {
    env = await timings.timed('environment up (control plane, CAPI, operator)', () => startE2EEnvironment());
  });
  after(async () => {
    timings.print('e2e simulation timings');
    await env?.stop();
  });

  it(`provisions a cluster whose API server answers every request ${SIMULATED_LATENCY} late, and the metrics show each CAPI manager's requests`, async () => {
    await timings.timed(`apply → ${CONTROL_PLANE} control plane + 1 worker ready, latency ${SIMULATED_LATENCY}`, async () => {
      await env.provision({ namespace: ns, name, controlPlane: CONTROL_PLANE, workers: 1, simulation: { latency: SIMULATED_LATENCY } });
      await waitFor(env, ns, 'cluster provisioned', PROVISION_MS, () => clusterProvisioned(env, ns, name, CONTROL_PLANE, 1));
    });
    const text = await env.operatorMetrics();
    const scope = { namespace: ns, cluster: name };
    const requests = samples(text, 'fkas_apiserver_request_total');
    const perClient = sumBy(requests, 'client', scope);
    const mix = [...perClient.keys()].map((client) => {
      const calls = requests.filter((r) => r.labels.namespace === ns && r.labels.cluster === name && r.labels.client === client);
      return `${client}: ${calls.map((r) => `${r.labels.verb} ${r.labels.resource || '(discovery, /version)'}${r.labels.subresource ? `/${r.labels.subresource}` : ''} ${r.labels.code} ×${r.value}`).join(', ')}`;
    });
    console.log(`    CAPI's requests to ${ns}/${name} by client (verb resource code ×count):\n      ${mix.join('\n      ')}`);
    for (const client of CAPI_CLIENTS) expect(perClient.get(client) ?? 0, `requests from ${client}`).to.be.greaterThan(0);
    // Every answer took the simulated latency: no request of this cluster is in a bucket below it.
    const buckets = samples(text, 'fkas_apiserver_request_duration_seconds_bucket').filter((s) => s.labels.namespace === ns && s.labels.cluster === name);
    const fast = buckets.filter((s) => Number(s.labels.le) < SIMULATED_LATENCY_S).reduce((n, s) => n + s.value, 0);
    const answered = sumBy(samples(text, 'fkas_apiserver_request_duration_seconds_count'), 'cluster', scope).get(name) ?? 0;
    expect(answered, 'requests timed').to.be.greaterThan(0);
    expect(fast, `requests answered faster than ${SIMULATED_LATENCY}`).to.equal(0);
  });

  it("makes KCP's EtcdClusterHealthy Unknown while the only etcd member does not answer, False while it reports NOSPACE, and True again after each", async () => {
    const cp = (await machinesOf(env, ns, name)).filter(isControlPlane)[0]!;
    const member = cp.status!.nodeRef!.name;
    const memberHealth = async (): Promise<Condition | undefined> =>
      conditionOf(await env.get<CapiObject>({ apiVersion: 'cluster.x-k8s.io/v1beta2', plural: 'machines', namespace: ns, name: cp.metadata.name }), 'EtcdMemberHealthy');

    await simulate({ etcd: { unhealthyMembers: [member] } });
    const unknown = await timings.timed('member unhealthy → EtcdClusterHealthy Unknown', () => etcdClusterHealthy('Unknown'));
    console.log(`    unhealthyMembers [${member}]: KCP EtcdClusterHealthy ${unknown.status} ${unknown.reason}; Machine EtcdMemberHealthy: ${(await memberHealth())?.message}`);
    expect(await memberHealth(), 'the Machine says why').to.include({ status: 'Unknown' });
    expect((await memberHealth())?.message).to.contain('request timed out');
    expect(isTrue(await kcp(), 'Available'), 'KCP Available without etcd').to.equal(false);
    await simulate(null);
    await timings.timed('member answers again → EtcdClusterHealthy True', () => etcdClusterHealthy('True'));

    await simulate({ etcd: { alarms: ['NOSPACE'] } });
    const alarmed = await timings.timed('NOSPACE alarm → EtcdClusterHealthy False', () => etcdClusterHealthy('False'));
    console.log(`    alarms [NOSPACE]: KCP EtcdClusterHealthy ${alarmed.status} ${alarmed.reason}; Machine EtcdMemberHealthy: ${(await memberHealth())?.message}`);
    // KCP reads the alarm from the Status answer of the member it connected to (etcd lists alarms among its errors).
    expect(await memberHealth(), 'the Machine says why').to.include({ status: 'False' });
    expect((await memberHealth())?.message).to.contain('alarm:NOSPACE');
    await simulate(null);
    await timings.timed('alarm cleared → EtcdClusterHealthy True', () => etcdClusterHealthy('True'));
    await waitFor(env, ns, 'KCP ready again', CONDITION_MS, () => controlPlaneReady(env, ns, name, CONTROL_PLANE));
  });

  it(`reports the remote connection down while the API server is unavailable for ${DOWN_FOR_MS / 1000} s, recovers when it is back, and remediates no Machine`, async () => {
    const machinesBefore = await machineIdentities(env, ns, name);
    const { host, port } = await env.fakeApiServerEndpoint(ns, name);
    expect(isTrue(await cluster(), 'RemoteConnectionProbe'), 'RemoteConnectionProbe before').to.equal(true);
    expect(await machinesMarkedForRemediation(env, ns, name), 'Machines marked for remediation before').to.deep.equal([]);

    const downSince = Date.now();
    await simulate({ available: false });
    await waitFor(env, ns, 'port refusing connections', 30_000, () => connectionRefused(host, port));
    const down = await timings.timed('unavailable → Cluster RemoteConnectionProbe False', () =>
      waitFor(env, ns, 'RemoteConnectionProbe False', CONDITION_MS, async () => {
        const c = conditionOf(await cluster(), 'RemoteConnectionProbe');
        return c?.status === 'False' ? c : undefined;
      }),
    );
    console.log(`    Cluster RemoteConnectionProbe: ${down.status} ${down.reason}: ${down.message}`);
    await sleep(Math.max(0, downSince + DOWN_FOR_MS - Date.now()));
    timings.record('API server unavailable for', Date.now() - downSince);

    await simulate({ available: true });
    await timings.timed('available again → RemoteConnectionProbe True', () =>
      waitFor(env, ns, 'RemoteConnectionProbe True', CONDITION_MS, async () => isTrue(await cluster(), 'RemoteConnectionProbe')),
    );
    // CAPI converges on what it saw before (its conditions catch up on its next reconciles), with the same
    // Machines, none replaced or marked for remediation, and the health check sees its worker healthy.
    await timings.timed('available again → cluster provisioned and MHC healthy', () =>
      waitFor(env, ns, 'cluster provisioned, MHC sees the worker healthy', CONDITION_MS, async () => {
        const mhc = await env.get<{ status?: { expectedMachines?: number; currentHealthy?: number } }>({ apiVersion: 'cluster.x-k8s.io/v1beta2', plural: 'machinehealthchecks', namespace: ns, name: `${name}-workers` });
        return mhc.status?.expectedMachines === 1 && mhc.status.currentHealthy === 1 && (await clusterProvisioned(env, ns, name, CONTROL_PLANE, 1));
      }),
    );
    expect(await machineIdentities(env, ns, name)).to.deep.equal(machinesBefore);
    expect(await machinesMarkedForRemediation(env, ns, name)).to.deep.equal([]);
  });
});
