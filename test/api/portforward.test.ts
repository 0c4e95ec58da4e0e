import { expect } from 'chai';
import { connect as tlsConnect } from 'node:tls';
import type { Duplex } from 'node:stream';
import { WebSocket } from 'ws';
import { startFakeCluster, type FakeClusterFixture } from '../support/fake-cluster.js';
import { addControlPlaneNode, adminTls, kubectlPortForward } from '../support/etcd-clients.js';
import { readAll, sendUpgrade, SpdyPortForwardTunnel } from '../support/spdy-client.js';
import { issueCertificate } from '../../src/pki/certificates.js';
import { generateEcKey, privateKeyToPem } from '../../src/pki/keys.js';

/**
 * pods/portforward as kubelet serves it, reached with the real kubectl
 * (WebSocket tunnelling and classic SPDY), a client-go-style SPDY client
 * and a v4.channel.k8s.io WebSocket client.
 */

const NODE = 'cp-0';
const NODE_IP = '10.0.0.10';
const ECHO_POD = 'echo';
const ECHO_PORT = 7000;
const UNKNOWN_PORT = 2380;
const API_SERVER_PORT = 6443;
const LEAK_CYCLES = 1_000;

type Tls = Awaited<ReturnType<typeof adminTls>>;

/** Reads the certificate served on a forwarded local port. */
async function servedCertificate(localPort: number, ca: string): Promise<{ cn: string; validTo: string }> {
  const socket = tlsConnect({ host: '127.0.0.1', port: localPort, ca, servername: 'localhost', rejectUnauthorized: false });
  await new Promise<void>((resolve, reject) => {
    socket.once('secureConnect', resolve);
    socket.once('error', reject);
  });
  const cert = socket.getPeerCertificate();
  socket.destroy();
  return { cn: String(cert.subject.CN), validTo: cert.valid_to };
}

/** Writes a line and reads the echo. */
async function roundTrip(stream: Duplex, text: string): Promise<string> {
  const echoed = new Promise<string>((resolve) => stream.once('data', (d: Buffer) => resolve(d.toString())));
  stream.write(text);
  return echoed;
}

describe('pods/portforward', function () {
  this.timeout(60_000);
  let fx: FakeClusterFixture;
  let tlsOpts: Tls;

  before(async () => {
    fx = await startFakeCluster();
    addControlPlaneNode(fx.cluster, NODE, NODE_IP);
    fx.cluster.applyObject({ apiVersion: 'v1', kind: 'Pod', metadata: { name: ECHO_POD, namespace: 'kube-system' }, spec: { containers: [{ name: 'echo', image: 'echo' }] }, status: { phase: 'Running' } });
    fx.cluster.podPorts.serve('kube-system', ECHO_POD, ECHO_PORT, (stream) => stream.pipe(stream));
    tlsOpts = await adminTls(fx.simulator, fx.cluster);
  });
  after(async () => {
    await fx.close();
  });

  for (const [protocol, env] of [
    ['WebSocket (kubectl default)', {}],
    ['SPDY (KUBECTL_PORT_FORWARD_WEBSOCKETS=false)', { KUBECTL_PORT_FORWARD_WEBSOCKETS: 'false' }],
  ] as const) {
    it(`kubectl port-forward over ${protocol} reaches the API server certificate on kube-apiserver-<node>:6443`, async () => {
      const pf = await kubectlPortForward(fx.kubeconfigPath, fx.dir, `pod/kube-apiserver-${NODE}`, API_SERVER_PORT, env);
      try {
        const cert = await servedCertificate(pf.localPort, fx.simulator.caOf(fx.cluster.name)!.certPem);
        expect(cert.cn).to.equal('kube-apiserver');
      } finally {
        await pf.stop();
      }
    });

    it(`kubectl port-forward over ${protocol} reports a port nothing listens on as kubelet does`, async () => {
      const pf = await kubectlPortForward(fx.kubeconfigPath, fx.dir, `pod/etcd-${NODE}`, UNKNOWN_PORT, env);
      try {
        const socket = tlsConnect({ host: '127.0.0.1', port: pf.localPort, rejectUnauthorized: false });
        socket.on('error', () => undefined);
        await new Promise<void>((resolve) => socket.once('close', () => resolve()));
        await waitFor(() => pf.output().includes(`error forwarding port ${UNKNOWN_PORT} to pod`));
        expect(pf.output()).to.match(/connect: connection refused/);
      } finally {
        await pf.stop();
      }
    });
  }

  it('kubectl port-forward to a pod that does not exist fails with NotFound', async () => {
    const r = await fx.kubectlResult(['-n', 'kube-system', 'port-forward', 'pod/etcd-missing', ':2379']);
    expect(r.code).to.not.equal(0);
    expect(r.stderr).to.contain('pods "etcd-missing" not found');
  });

  it('answers 404 with a Status to a SPDY upgrade for a missing pod', async () => {
    const err = (await SpdyPortForwardTunnel.open(tlsOpts, 'kube-system', 'no-such-pod').catch((e: unknown) => e)) as { status: number; body: string };
    expect(err.status).to.equal(404);
    expect(JSON.parse(err.body)).to.include({ kind: 'Status', reason: 'NotFound', code: 404 });
  });

  describe('a client-go style SPDY tunnel', () => {
    let tunnel: SpdyPortForwardTunnel;
    beforeEach(async () => {
      tunnel = await SpdyPortForwardTunnel.open(tlsOpts, 'kube-system', ECHO_POD);
    });
    afterEach(async () => {
      await tunnel.close();
    });

    it('carries bytes both ways on a data stream paired with its error stream by requestID', async () => {
      const c = tunnel.forward(ECHO_PORT);
      expect(await roundTrip(c.data, 'hello')).to.equal('hello');
      c.data.end();
      expect(await c.errorText).to.equal('');
    });

    it('serves several forwarded connections at once in one tunnel', async () => {
      const conns = Array.from({ length: 5 }, () => tunnel.forward(ECHO_PORT));
      const echoes = await Promise.all(conns.map((c, i) => roundTrip(c.data, `conn-${i}`)));
      expect(echoes).to.deep.equal(conns.map((_, i) => `conn-${i}`));
    });

    it('writes the connection-refused error on the error stream for an unknown port and closes the data stream', async () => {
      const c = tunnel.forward(UNKNOWN_PORT);
      const [message] = await Promise.all([c.errorText, readAll(c.data)]);
      expect(message).to.match(new RegExp(`^error forwarding port ${UNKNOWN_PORT} to pod [0-9a-f]{64}, uid : failed to execute portforward`));
      expect(message).to.contain(`dial tcp4 127.0.0.1:${UNKNOWN_PORT}: connect: connection refused`);
    });

    // Bad inputs tried: port 0, a non-number port, a port above 65535, no port, no stream type,
    // an unknown stream type. kubelet resets such streams (RST_STREAM) and keeps the tunnel.
    for (const [what, headers] of [
      ['port 0', { streamtype: 'data', port: '0', requestid: 'x' }],
      ['a non-numeric port', { streamtype: 'data', port: 'http', requestid: 'x' }],
      ['a port above 65535', { streamtype: 'data', port: '70000', requestid: 'x' }],
      ['no port header', { streamtype: 'data', requestid: 'x' }],
      ['no streamType header', { port: '7000', requestid: 'x' }],
      ['an unknown streamType', { streamtype: 'stdin', port: '7000', requestid: 'x' }],
    ] as const) {
      it(`resets a stream with ${what} and keeps serving the tunnel`, async () => {
        const bad = tunnel.stream(headers);
        await new Promise<void>((resolve) => bad.once('close', () => resolve()));
        const c = tunnel.forward(ECHO_PORT);
        expect(await roundTrip(c.data, 'still here')).to.equal('still here');
      });
    }

    it('refuses a second data stream for a requestID in use, saying so on the error stream', async () => {
      const c = tunnel.forward(ECHO_PORT, { requestid: 'dup' });
      await roundTrip(c.data, 'first');
      const again = tunnel.stream({ streamtype: 'data', port: String(ECHO_PORT), requestid: 'dup' });
      await new Promise<void>((resolve) => again.once('close', () => resolve()));
      c.data.end();
      expect(await c.errorText).to.equal('error processing stream for request dup: data stream already assigned');
    });
  });

  it('refuses an upgrade whose X-Stream-Protocol-Version it does not speak with 403', async () => {
    const res = await sendUpgrade(tlsOpts, 'POST', `/api/v1/namespaces/kube-system/pods/${ECHO_POD}/portforward`, {
      Connection: 'Upgrade',
      Upgrade: 'SPDY/3.1',
      'X-Stream-Protocol-Version': 'v4.channel.k8s.io',
    });
    expect(res.status).to.equal(403);
    expect(res.body).to.contain('unable to negotiate protocol');
  });

  it('refuses a WebSocket upgrade with no subprotocol it serves with 400', async () => {
    const res = await sendUpgrade(tlsOpts, 'GET', `/api/v1/namespaces/kube-system/pods/${ECHO_POD}/portforward`, {
      Connection: 'Upgrade',
      Upgrade: 'websocket',
      'Sec-WebSocket-Version': '13',
      'Sec-WebSocket-Key': Buffer.alloc(16, 1).toString('base64'),
      'Sec-WebSocket-Protocol': 'base64.channel.k8s.io',
    });
    expect(res.status).to.equal(400);
    expect(res.body).to.contain('SPDY/3.1+portforward.k8s.io');
  });

  it('refuses an anonymous upgrade with 403, as RBAC refuses anonymous everything but health and version', async () => {
    const err = (await SpdyPortForwardTunnel.open({ ...tlsOpts, cert: undefined, key: undefined } as unknown as Tls, 'kube-system', ECHO_POD).catch((e: unknown) => e)) as { status: number };
    expect(err.status).to.equal(403);
  });

  it('lets a user port-forward only once RBAC allows create on pods/portforward', async () => {
    const key = await generateEcKey();
    const cert = issueCertificate(fx.simulator.caOf(fx.cluster.name)!, { commonName: 'jane', usages: ['client'], publicKey: key });
    const jane = { ...tlsOpts, cert: cert.certPem, key: privateKeyToPem(key) };
    const refused = (await SpdyPortForwardTunnel.open(jane, 'kube-system', ECHO_POD).catch((e: unknown) => e)) as { status: number; body?: string };
    expect(refused.status).to.equal(403);
    fx.cluster.applyObject({
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRole',
      metadata: { name: 'port-forwarder' },
      rules: [{ apiGroups: [''], resources: ['pods/portforward'], verbs: ['create'] }],
    });
    fx.cluster.applyObject({
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRoleBinding',
      metadata: { name: 'jane-port-forwards' },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'port-forwarder' },
      subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: 'jane' }],
    });
    const tunnel = await SpdyPortForwardTunnel.open(jane, 'kube-system', ECHO_POD);
    await tunnel.close();
  });

  describe('the v4.channel.k8s.io WebSocket protocol', () => {
    const connectChannels = (ports: string): WebSocket =>
      new WebSocket(`wss://${tlsOpts.host}:${tlsOpts.port}/api/v1/namespaces/kube-system/pods/${ECHO_POD}/portforward?ports=${ports}`, ['v4.channel.k8s.io'], {
        ca: tlsOpts.ca,
        cert: tlsOpts.cert,
        key: tlsOpts.key,
      });

    it('prefixes each channel with its port, echoes on the data channel, and reports an unknown port on its error channel', async () => {
      const ws = connectChannels(`${ECHO_PORT},${UNKNOWN_PORT}`);
      const messages: Buffer[] = [];
      ws.on('message', (m: Buffer) => messages.push(m));
      await new Promise<void>((resolve, reject) => {
        ws.once('open', () => resolve());
        ws.once('error', reject);
      });
      expect(ws.protocol).to.equal('v4.channel.k8s.io');
      await waitFor(() => messages.length >= 5);
      expect(messages.slice(0, 4).map((m) => [m[0], m.readUInt16LE(1)])).to.deep.equal([
        [0, ECHO_PORT],
        [1, ECHO_PORT],
        [2, UNKNOWN_PORT],
        [3, UNKNOWN_PORT],
      ]);
      expect(messages[4]![0]).to.equal(3);
      expect(messages[4]!.subarray(1).toString()).to.contain('connection refused');
      ws.send(Buffer.concat([Buffer.from([0]), Buffer.from('ping')]));
      await waitFor(() => messages.some((m) => m[0] === 0 && m.subarray(1).toString() === 'ping'));
      const closed = new Promise<void>((resolve) => ws.once('close', () => resolve()));
      ws.close();
      await closed;
    });

    it('refuses a channel port-forward without ports with 400', async () => {
      const ws = connectChannels('');
      ws.on('error', () => undefined);
      const status = await new Promise<number>((resolve) =>
        ws.once('unexpected-response', (req, res) => {
          req.destroy();
          resolve(res.statusCode ?? 0);
        }),
      );
      expect(status).to.equal(400);
    });
  });

  it(`opens and closes ${LEAK_CYCLES.toLocaleString('en')} tunnels without leaking sockets, streams or handles`, async function () {
    this.timeout(300_000);
    const resources = (): number => process.getActiveResourcesInfo().filter((r) => r === 'TCPSocketWrap' || r === 'TLSWrap' || r === 'Timeout').length;
    const cycle = async (): Promise<void> => {
      const t = await SpdyPortForwardTunnel.open(tlsOpts, 'kube-system', ECHO_POD);
      const c = t.forward(ECHO_PORT);
      await roundTrip(c.data, 'x');
      await t.close();
    };
    await cycle(); // warm up lazily created objects
    await settle(fx);
    const before = { resources: resources(), connections: fx.cluster.openConnections, rss: process.memoryUsage().rss };
    for (let i = 0; i < LEAK_CYCLES; i++) await cycle();
    await settle(fx);
    const after = { resources: resources(), connections: fx.cluster.openConnections, rss: process.memoryUsage().rss };
    expect(fx.simulator.tunnelStats).to.deep.equal({ portForwardTunnels: 0, etcdConnections: 0 });
    expect(after.connections).to.equal(before.connections);
    expect(after.resources).to.be.at.most(before.resources);
  });
});

async function settle(fx: FakeClusterFixture): Promise<void> {
  await waitFor(() => fx.simulator.tunnelStats.portForwardTunnels === 0 && fx.cluster.openConnections === 0, 10_000);
}

async function waitFor(condition: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}
