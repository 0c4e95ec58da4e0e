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
 * KCP (v1.13, updateManagedEtcdConditions) asks the first etcd member that answers Status, judges
 * every Machine False when that member's Status lists errors (no leader, an alarm), Unknown when the
 * member list or alarm list cannot be read, and makes EtcdClusterHealthy False if any Machine is
 * False. So the cluster starts with one member (a stalled lone member: Unknown) and grows to three
 * (a member cut off from the others: False whenever KCP asks it; two cut off: False from every member).
 */
const CONTROL_PLANE = 1;
const CONTROL_PLANE_SCALED = 3;
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
  /**
   * KCP's EtcdClusterHealthy once it has `status`, asking KCP to look at every poll: it re-checks etcd
   * only when it reconciles, and which member it asks first is random among equally healthy ones.
   */
  async function etcdClusterHealthy(status: 'True' | 'False' | 'Unknown'): Promise<Condition> {
    return waitFor(env, ns, `EtcdClusterHealthy ${status}`, CONDITION_MS, async () => {
      await requestReconcile(env, 'kcp', ns, name);
      const c = conditionOf(await kcp(), 'EtcdClusterHealthy');
      return c?.status === status ? c : undefined;
    });
  }
  /** Control-plane replicas the cluster has now (the etcd spec scales it up). */
  let controlPlanes = CONTROL_PLANE;
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

  const memberHealth = async (machine: CapiObject): Promise<Condition | undefined> =>
    conditionOf(await env.get<CapiObject>({ apiVersion: 'cluster.x-k8s.io/v1beta2', plural: 'machines', namespace: ns, name: machine.metadata.name }), 'EtcdMemberHealthy');

  it("makes KCP's EtcdClusterHealthy Unknown while the only etcd member stalls, False while it reports NOSPACE, and True again after each", async () => {
    const cp = (await machinesOf(env, ns, name)).filter(isControlPlane)[0]!;
    const member = cp.status!.nodeRef!.name;

    // A lone voter keeps leading (its Status has no errors) but cannot complete the member list KCP reads next.
    await simulate({ etcd: { unhealthyMembers: [member] } });
    const unknown = await timings.timed('only member unhealthy → EtcdClusterHealthy Unknown', () => etcdClusterHealthy('Unknown'));
    console.log(`    unhealthyMembers [${member}] of 1: KCP EtcdClusterHealthy ${unknown.status} ${unknown.reason}; Machine EtcdMemberHealthy: ${(await memberHealth(cp))?.message}`);
    expect(await memberHealth(cp), 'the Machine says why').to.include({ status: 'Unknown' });
    expect((await memberHealth(cp))?.message).to.contain('Failed to get etcd members').and.to.contain('request timed out');
    expect(isTrue(await kcp(), 'Available'), 'KCP Available without etcd').to.equal(false);
    await simulate(null);
    await timings.timed('member recovers → EtcdClusterHealthy True', () => etcdClusterHealthy('True'));

    await simulate({ etcd: { alarms: ['NOSPACE'] } });
    const alarmed = await timings.timed('NOSPACE alarm → EtcdClusterHealthy False', () => etcdClusterHealthy('False'));
    console.log(`    alarms [NOSPACE]: KCP EtcdClusterHealthy ${alarmed.status} ${alarmed.reason}; Machine EtcdMemberHealthy: ${(await memberHealth(cp))?.message}`);
    // KCP reads the alarm from the Status answer of the member it connected to (etcd lists alarms among its errors).
    expect(await memberHealth(cp), 'the Machine says why').to.include({ status: 'False' });
    expect((await memberHealth(cp))?.message).to.contain('alarm:NOSPACE');
    await simulate(null);
    await timings.timed('alarm cleared → EtcdClusterHealthy True', () => etcdClusterHealthy('True'));
    await waitFor(env, ns, 'KCP ready again', CONDITION_MS, () => controlPlaneReady(env, ns, name, CONTROL_PLANE));
  });

  it(`with ${CONTROL_PLANE_SCALED} etcd members makes EtcdClusterHealthy False when KCP asks a member cut off from the others, False from every member once the quorum is lost, and True again`, async () => {
    await env.kubectl(['patch', 'kcp', '-n', ns, name, '--type=merge', '-p', JSON.stringify({ spec: { replicas: CONTROL_PLANE_SCALED } })]);
    await timings.timed(`KCP scaled to ${CONTROL_PLANE_SCALED}`, () => waitFor(env, ns, `KCP ready with ${CONTROL_PLANE_SCALED} replicas`, PROVISION_MS, () => controlPlaneReady(env, ns, name, CONTROL_PLANE_SCALED)));
    controlPlanes = CONTROL_PLANE_SCALED;
    const cps = (await machinesOf(env, ns, name)).filter(isControlPlane);
    const members = cps.map((m) => m.status!.nodeRef!.name);

    // One member cut off: its Status says it has no leader, the other two answer as a healthy cluster. KCP
    // judges every Machine by the one member it asks first (random among equally healthy ones), so the
    // condition is False whenever that is the cut-off member; polling with a reconcile each time sees it.
    const [cutOff] = members;
    await simulate({ etcd: { unhealthyMembers: [cutOff] } });
    const one = await timings.timed('1 of 3 cut off → EtcdClusterHealthy False (when KCP asks it)', () => etcdClusterHealthy('False'));
    console.log(`    unhealthyMembers [${cutOff}] of 3: KCP EtcdClusterHealthy ${one.status} ${one.reason}: ${one.message}`);
    expect(one.message).to.contain(`Etcd endpoint etcd-${cutOff} reports errors: etcdserver: no leader`);
    await simulate(null);
    await timings.timed('member back → EtcdClusterHealthy True', () => etcdClusterHealthy('True'));

    // Two of three cut off: no majority, so no member has a leader and KCP sees False whichever it asks.
    const lost = members.slice(1);
    await simulate({ etcd: { unhealthyMembers: lost } });
    const noQuorum = await timings.timed('2 of 3 cut off → EtcdClusterHealthy False', () => etcdClusterHealthy('False'));
    console.log(`    unhealthyMembers [${lost.join(', ')}] of 3: KCP EtcdClusterHealthy ${noQuorum.status} ${noQuorum.reason}: ${noQuorum.message}`);
    expect(noQuorum.message).to.match(/Etcd endpoint etcd-\S+ reports errors: etcdserver: no leader/);
    for (const m of cps) expect(await memberHealth(m), m.metadata.name).to.include({ status: 'False' });
    expect(isTrue(await kcp(), 'Available'), 'KCP Available without an etcd quorum').to.equal(false);
    await simulate(null);
    await timings.timed('quorum back → EtcdClusterHealthy True', () => etcdClusterHealthy('True'));
    await waitFor(env, ns, 'KCP ready again', CONDITION_MS, () => controlPlaneReady(env, ns, name, CONTROL_PLANE_SCALED));
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
        return mhc.status?.expectedMachines === 1 && mhc.status.currentHealthy === 1 && (await clusterProvisioned(env, ns, name, controlPlanes, 1));
      }),
    );
    expect(await machineIdentities(env, ns, name)).to.deep.equal(machinesBefore);
    expect(await machinesMarkedForRemediation(env, ns, name)).to.deep.equal([]);
  });
});
