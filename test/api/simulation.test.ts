import { expect } from 'chai';
import https from 'node:https';
import { addControlPlaneNode, adminTls, etcdctl, kubectlPortForward, writeEtcdClientCert } from '../support/etcd-clients.js';
import { startFakeCluster, type FakeClusterFixture } from '../support/fake-cluster.js';
import { connectionRefused } from '../support/operator-fixture.js';

/**
 * spec.simulation as clients see it, applied live to a running fake
 * cluster through FakeCluster.setSimulation: latency, fault rules answered
 * with kube-apiserver's Status (and Retry-After), an API server that goes
 * away and comes back on the same port, and an etcd that is slow, raises
 * alarms or has an unhealthy member (bin/etcdctl through kubectl port-forward).
 */

/** Large enough that a fresh TLS connection on a loaded machine stays well below it. */
const LATENCY_MS = 1_000;
const ETCD_PORT = 2379;

interface Answer {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: Record<string, unknown>;
  readonly ms: number;
}

describe('fake cluster simulation (latency, faults, availability, etcd)', function () {
  this.timeout(120_000);
  let fx: FakeClusterFixture;
  let tls: Awaited<ReturnType<typeof adminTls>>;

  /** One HTTPS request as an admin client with the given User-Agent. */
  const get = (path: string, userAgent = 'cluster-api-controller-manager/v1.13.6 (linux/amd64) kubernetes/abc'): Promise<Answer> =>
    new Promise((resolve, reject) => {
      const started = Date.now();
      const req = https.request({ host: tls.host, port: tls.port, path, ca: tls.ca, cert: tls.cert, key: tls.key, agent: false, headers: { accept: 'application/json', 'user-agent': userAgent } }, (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (text += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: JSON.parse(text) as Record<string, unknown>, ms: Date.now() - started }));
      });
      req.on('error', reject);
      req.end();
    });

  beforeEach(async () => {
    fx = await startFakeCluster();
    tls = await adminTls(fx.simulator, fx.cluster);
  });
  afterEach(async () => fx.close());

  it('adds latency (and jitter) to every request, live, and stops when the simulation is cleared', async () => {
    await fx.cluster.setSimulation({ latencyMs: LATENCY_MS, jitterMs: 50 });
    const slow = await get('/api/v1/namespaces');
    expect(slow.status).to.equal(200);
    expect(slow.ms).to.be.at.least(LATENCY_MS);
    await fx.cluster.setSimulation({});
    expect(fx.cluster.simulation).to.equal(undefined);
    const fast = await get('/api/v1/namespaces');
    expect(fast.ms).to.be.below(LATENCY_MS);
  });

  it('answers a matching list with kube-apiserver\'s 503 Status and Retry-After, and leaves other requests alone', async () => {
    await fx.cluster.setSimulation({ faults: [{ verbs: ['list', 'watch'], resources: ['nodes'], code: 503 }] });
    const failed = await get('/api/v1/nodes');
    expect(failed.status).to.equal(503);
    expect(failed.headers['retry-after']).to.equal('1');
    expect(failed.body).to.include({ kind: 'Status', apiVersion: 'v1', status: 'Failure', reason: 'ServiceUnavailable', code: 503 });
    expect(failed.body.details).to.deep.equal({ retryAfterSeconds: 1 });
    expect((await get('/api/v1/nodes/cp-0')).status).to.equal(404); // a get is no list: served (the node does not exist)
    expect((await get('/api/v1/namespaces')).status).to.equal(200);
  });

  it('answers 429 TooManyRequests, 500 InternalError, 504 Timeout and 409 Conflict as kube-apiserver does', async () => {
    const expected: [number, string][] = [
      [429, 'TooManyRequests'],
      [500, 'InternalError'],
      [504, 'Timeout'],
      [409, 'Conflict'],
    ];
    for (const [code, reason] of expected) {
      await fx.cluster.setSimulation({ faults: [{ resources: ['configmaps'], code }] });
      const a = await get('/api/v1/namespaces/default/configmaps');
      expect(a.status, `code ${code}`).to.equal(code);
      expect(a.body).to.include({ kind: 'Status', reason, code });
      if (code === 429 || code === 504) expect(a.headers['retry-after'], `code ${code}`).to.equal('1');
      if (code === 500) expect(a.headers['retry-after']).to.equal(undefined);
    }
  });

  it('matches the User-Agent by glob: kubectl fails, CAPI\'s client does not', async () => {
    await fx.cluster.setSimulation({ faults: [{ userAgent: 'kubectl*', code: 500 }] });
    const r = await fx.kubectlResult(['get', 'namespaces']);
    expect(r.code).to.not.equal(0);
    expect(r.stderr).to.contain('Error from server (InternalError)');
    expect((await get('/api/v1/namespaces')).status).to.equal(200);
  });

  it('fires a rule with the probability of its ratio, and delays matching requests by its latency', async () => {
    let draw = 0;
    // Alternating draws 0.25, 0.75: a ratio of 0.5 fires on every other request.
    await fx.cluster.setSimulation({ faults: [{ resources: ['namespaces'], code: 503, ratio: 0.5, latencyMs: 100 }] }, () => (draw++ % 2 === 0 ? 0.25 : 0.75));
    const codes: number[] = [];
    for (let i = 0; i < 6; i++) {
      const a = await get('/api/v1/namespaces');
      expect(a.ms).to.be.at.least(100);
      codes.push(a.status);
    }
    expect(codes).to.deep.equal([503, 200, 503, 200, 503, 200]);
    await fx.cluster.setSimulation({ faults: [{ code: 503, ratio: 0 }] });
    expect((await get('/api/v1/namespaces')).status).to.equal(200);
  });

  it('refuses a bad setting with an error that says which, keeping the previous simulation', async () => {
    await fx.cluster.setSimulation({ latencyMs: 10 });
    const before = fx.cluster.simulation;
    const bad = [{ faults: [{ code: 302 }] }, { faults: [{ code: 503, ratio: 2 }] }, { latencyMs: -1 }];
    for (const sim of bad) {
      const err = await fx.cluster.setSimulation(sim).then(() => undefined, (e: Error) => e);
      expect(err?.message).to.match(/code 302|ratio 2|latency/);
    }
    await fx.cluster.setSimulation({ etcd: { alarms: ['NOSUCH' as 'NOSPACE'] } }).catch(() => undefined);
    expect(fx.cluster.simulation).to.equal(before);
  });

  it('available: false refuses connections on the port; true serves again on the same port, with the same objects', async () => {
    const port = fx.cluster.port;
    await fx.kubectl(['create', 'configmap', 'kept', '-n', 'default']);
    await fx.cluster.setSimulation({ available: false });
    expect(await connectionRefused('127.0.0.1', port)).to.equal(true);
    const down = await fx.kubectlResult(['get', 'configmap', 'kept', '-n', 'default', '--request-timeout=3s']);
    expect(down.code).to.not.equal(0);
    expect(down.stderr).to.contain('connection refused');
    await fx.cluster.setSimulation({ available: true });
    expect(fx.cluster.port).to.equal(port);
    expect(await fx.kubectl(['get', 'configmap', 'kept', '-n', 'default', '-o', 'name'])).to.equal('configmap/kept\n');
  });

  describe('etcd', () => {
    beforeEach(() => {
      addControlPlaneNode(fx.cluster, 'cp-0', '10.0.0.10');
      addControlPlaneNode(fx.cluster, 'cp-1', '10.0.0.11');
    });

    const etcdctlVia = async (node: string, args: string[]) => {
      const certs = await writeEtcdClientCert(fx.dir, `kcp-${node}`, await fx.simulator.etcdCaOf(fx.cluster.name));
      const pf = await kubectlPortForward(fx.kubeconfigPath, fx.dir, `pod/etcd-${node}`, ETCD_PORT);
      try {
        const started = Date.now();
        const r = await etcdctl(pf.localPort, certs, args);
        return { ...r, ms: Date.now() - started };
      } finally {
        await pf.stop();
      }
    };

    it('unhealthyMembers: with one of two members cut off neither has a majority, so endpoint health fails through both until it is cleared', async () => {
      await fx.cluster.setSimulation({ etcd: { unhealthyMembers: ['cp-1'] } });
      for (const node of ['cp-1', 'cp-0']) {
        const health = await etcdctlVia(node, ['endpoint', 'health', '-w', 'json']);
        expect(health.code, node).to.not.equal(0);
        const [checked] = JSON.parse(health.stdout) as { health: boolean; error?: string }[];
        expect(checked, node).to.include({ health: false, error: 'etcdserver: request timed out' });
        const status = await etcdctlVia(node, ['endpoint', 'status', '-w', 'json']);
        expect(status.code, status.stderr).to.equal(0);
        expect(status.stdout, node).to.contain('"errors":["etcdserver: no leader"]');
      }
      await fx.cluster.setSimulation({});
      for (const node of ['cp-1', 'cp-0']) {
        const healed = await etcdctlVia(node, ['endpoint', 'health']);
        expect(healed.code, `${node}: ${healed.stderr}`).to.equal(0);
      }
    });

    it('alarms: every member reports the alarm and endpoint health fails until the simulation ends', async () => {
      await fx.cluster.setSimulation({ etcd: { alarms: ['NOSPACE'] } });
      const list = await etcdctlVia('cp-0', ['alarm', 'list']);
      const ids = ['cp-0', 'cp-1'].map((n) => fx.cluster.etcd.memberByName(n)!.id);
      expect(list.stdout.trim().split('\n').map((l) => l.trim())).to.deep.equal(ids.map((id) => `memberID:${id} alarm:NOSPACE`));
      const health = await etcdctlVia('cp-0', ['endpoint', 'health', '-w', 'json']);
      expect(health.code).to.not.equal(0);
      expect(health.stdout).to.contain('Active Alarm(s): NOSPACE');
      await fx.cluster.setSimulation({});
      expect((await etcdctlVia('cp-0', ['alarm', 'list'])).stdout.trim()).to.equal('');
    });

    it('latency: every etcd answer is delayed', async () => {
      const quick = await etcdctlVia('cp-0', ['member', 'list']);
      await fx.cluster.setSimulation({ etcd: { latencyMs: 1_000 } });
      const slow = await etcdctlVia('cp-0', ['member', 'list']);
      expect(slow.code, slow.stderr).to.equal(0);
      expect(slow.ms - quick.ms).to.be.at.least(900);
    });
  });
});
