import { expect } from 'chai';
import { execFile, spawn } from 'node:child_process';
import { promisify } from 'node:util';
import type { Condition, FakeAPIServer } from '../../src/operator/api/v1alpha1.js';
import { MAX_CLIENTS_PER_CLUSTER } from '../../src/operator/request-metrics.js';
import { eventually, kubeconfigFromCaSecret, startOperatorFixture, type OperatorFixture } from '../support/operator-fixture.js';

const run = promisify(execFile);

/**
 * The operator's /metrics as Prometheus scrapes it: every request a fake
 * cluster answers, per cluster and client (kubectl here), its latency, open
 * watches, and the faults spec.simulation injected; series of a deleted
 * cluster go with it; `aggregate` drops the per-cluster labels.
 */

const FAS = { apiVersion: 'fkas.metal3.io/v1alpha1', plural: 'fakeapiservers', namespace: 'default' };
const condition = (o: { status?: { conditions?: Condition[] } }, type: string): Condition | undefined => o.status?.conditions?.find((c) => c.type === type);

/** One sample's value from Prometheus text, by metric name and exact label set; undefined when absent. */
function sample(text: string, name: string, labels: Record<string, string>): number | undefined {
  const want = Object.entries(labels)
    .map(([k, v]) => `${k}="${v}"`)
    .sort();
  for (const line of text.split('\n')) {
    const m = /^([a-z_]+)\{(.*)\} (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const have = m[2]!.split(/,(?=[a-z_]+=")/).sort();
    if (have.length === want.length && have.every((l, i) => l === want[i])) return Number(m[3]);
  }
  return undefined;
}

for (const mode of ['cluster', 'aggregate'] as const) {
  describe(`operator /metrics: fkas_apiserver_* per fake cluster (--request-metrics ${mode})`, function () {
    this.timeout(60_000);
    let f: OperatorFixture;
    let kubeconfig: string;
    const range = mode === 'cluster' ? { min: 31300, max: 31309 } : { min: 31310, max: 31319 };
    const scope = mode === 'cluster' ? { namespace: 'default', cluster: 'metered' } : { namespace: '', cluster: '' };
    const metrics = async (): Promise<string> => (await fetch(`http://127.0.0.1:${f.operator.probePort}/metrics`)).text();
    const kubectl = (args: string[]) => run('kubectl', ['--kubeconfig', kubeconfig, ...args], { env: { ...process.env, HOME: f.dir } });

    before(async () => {
      f = await startOperatorFixture({ config: { portRange: range, requestMetrics: mode } });
      await f.client.create(FAS, { apiVersion: FAS.apiVersion, kind: 'FakeAPIServer', metadata: { name: 'metered', namespace: 'default' }, spec: {} });
      const served = await eventually(async () => {
        const o = await f.client.get<FakeAPIServer>({ ...FAS, name: 'metered' });
        return condition(o, 'Ready')?.status === 'True' ? o : undefined;
      }, 'metered Ready');
      kubeconfig = await kubeconfigFromCaSecret(f, 'default', 'metered', served.status!.endpoint!);
    });
    after(async () => f?.close());

    it('counts requests by verb, resource, subresource, code and client, with their latency', async () => {
      await kubectl(['get', 'namespaces']);
      await kubectl(['get', 'namespace', 'default']);
      await kubectl(['get', 'namespace', 'nope']).catch(() => undefined);
      const text = await metrics();
      const base = { ...scope, client: 'kubectl' };
      expect(sample(text, 'fkas_apiserver_request_total', { ...base, verb: 'list', resource: 'namespaces', subresource: '', code: '200' })).to.equal(1);
      expect(sample(text, 'fkas_apiserver_request_total', { ...base, verb: 'get', resource: 'namespaces', subresource: '', code: '200' })).to.equal(1);
      expect(sample(text, 'fkas_apiserver_request_total', { ...base, verb: 'get', resource: 'namespaces', subresource: '', code: '404' })).to.equal(1);
      // Discovery is counted too, as non-resource gets.
      expect(sample(text, 'fkas_apiserver_request_total', { ...base, verb: 'get', resource: '', subresource: '', code: '200' })).to.be.at.least(1);
      expect(sample(text, 'fkas_apiserver_request_duration_seconds_count', { ...scope, verb: 'get', resource: 'namespaces' })).to.equal(2);
    });

    it('shows open watches while they stream, and none once they end', async () => {
      const watcher = spawn('kubectl', ['--kubeconfig', kubeconfig, 'get', 'configmaps', '-A', '--watch'], { env: { ...process.env, HOME: f.dir } });
      try {
        await eventually(async () => sample(await metrics(), 'fkas_apiserver_watches', { ...scope, resource: 'configmaps' }) === 1, 'one open watch');
      } finally {
        watcher.kill();
      }
      await eventually(async () => sample(await metrics(), 'fkas_apiserver_watches', { ...scope, resource: 'configmaps' }) === 0, 'watch closed');
    });

    it('counts the faults spec.simulation injects, by code', async () => {
      await f.client.patch({ ...FAS, name: 'metered' }, 'merge', { spec: { simulation: { faults: [{ resources: ['secrets'], code: 500 }] } } });
      await eventually(async () => (await kubectl(['get', 'secrets']).then(() => false, (e: { stderr: string }) => e.stderr.includes('InternalError'))), 'fault active');
      const text = await metrics();
      expect(sample(text, 'fkas_simulation_faults_total', { ...scope, code: '500' })).to.be.at.least(1);
      expect(sample(text, 'fkas_apiserver_request_total', { ...scope, client: 'kubectl', verb: 'list', resource: 'secrets', subresource: '', code: '500' })).to.be.at.least(1);
    });

    it(`caps the client label at ${MAX_CLIENTS_PER_CLUSTER} values per cluster; the rest count as "other"`, async () => {
      const served = f.operator.simulator.get('default/metered')!;
      const url = `https://127.0.0.1:${served.port}/version`;
      for (let i = 0; i < MAX_CLIENTS_PER_CLUSTER + 3; i++) {
        await run('curl', ['-sk', '-A', `tool-${i}/1.0 (test)`, url]);
      }
      const text = await metrics();
      const clients = new Set([...text.matchAll(/^fkas_apiserver_request_total\{[^}]*client="([^"]+)"/gm)].map((m) => m[1]));
      expect(clients.size).to.equal(MAX_CLIENTS_PER_CLUSTER + 1);
      expect(clients).to.include('other');
      expect(clients).to.include('kubectl');
    });

    if (mode === 'cluster') {
      it('drops the series of a FakeAPIServer that is deleted', async () => {
        expect(await metrics()).to.include('cluster="metered"');
        await f.client.delete({ ...FAS, name: 'metered' });
        await eventually(async () => !(await metrics()).includes('cluster="metered"'), 'series removed');
      });
    }
  });
}
