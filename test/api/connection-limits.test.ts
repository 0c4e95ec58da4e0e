import { expect } from 'chai';
import { readdirSync } from 'node:fs';
import http2 from 'node:http2';
import https from 'node:https';
import net from 'node:net';
import { Writable } from 'node:stream';
import tls from 'node:tls';
import { pino } from 'pino';
import { issueCertificate } from '../../src/pki/certificates.js';
import { generateEcKey, privateKeyToPem } from '../../src/pki/keys.js';
import type { FakeCluster } from '../../src/simulator/cluster.js';
import { Simulator } from '../../src/simulator/simulator.js';

/**
 * Fake-cluster listeners bound what idle or half-open clients can hold:
 * unfinished handshakes, connections that never send a request and idle
 * keep-alive connections are closed by the server, caps refuse floods with
 * one warning, and the process's open files return to where they were.
 * Timeouts are shortened for the test through the simulator options.
 */

const LIMITS = { handshakeTimeoutMs: 1_500, firstRequestTimeoutMs: 1_500, idleTimeoutMs: 700 };
/** Sockets per flood: enough to see a leak in /proc/self/fd, few enough for a shared CI machine. */
const FLOOD = 300;
/** Time the server gets beyond a timeout to close everything (timers on a loaded machine run late). */
const SLACK_MS = 3_000;
/** The first bytes of a TLS ClientHello record, then nothing. */
const PARTIAL_CLIENT_HELLO = Buffer.from('160301020001000200fc0303', 'hex');

const openFds = (): number => readdirSync('/proc/self/fd').length;

/** Resolves when the socket is closed, and with how long that took. */
function closedWithin(socket: net.Socket, start: number): Promise<number> {
  return new Promise((resolve) => {
    if (socket.destroyed && socket.closed) resolve(Date.now() - start);
    else socket.once('close', () => resolve(Date.now() - start));
  });
}

/** Waits until `fn` holds, polling; fails with `what` after the deadline. */
async function eventually(fn: () => boolean, what: string, deadlineMs = SLACK_MS): Promise<void> {
  const end = Date.now() + deadlineMs;
  while (!fn()) {
    if (Date.now() > end) throw new Error(`still not true after ${deadlineMs} ms: ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

function connectTcp(port: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const s = net.connect(port, '127.0.0.1', () => resolve(s));
    s.on('error', () => undefined); // resets on a refused or timed-out connection are expected
    s.resume(); // a paused socket would never see the server's close
    s.once('error', reject);
  });
}

function handshake(port: number, alpn: string[]): Promise<tls.TLSSocket> {
  return new Promise((resolve, reject) => {
    const s = tls.connect({ host: '127.0.0.1', port, rejectUnauthorized: false, ALPNProtocols: alpn });
    s.on('error', () => undefined);
    s.resume();
    s.once('secureConnect', () => resolve(s));
    s.once('error', reject);
  });
}

describe('fake-cluster listeners bound connections', function () {
  this.timeout(60_000);

  describe('timeouts', () => {
    let sim: Simulator;
    let cluster: FakeCluster;
    let tlsOpts: { ca: string; cert: string; key: string };
    let baseline: number;

    before(async () => {
      sim = new Simulator({ connectionLimits: LIMITS });
      cluster = await sim.createCluster({ name: 'limits' });
      const ca = sim.caOf('limits')!;
      const key = await generateEcKey();
      const cert = issueCertificate(ca, { commonName: 'kubernetes-admin', organizations: ['system:masters'], usages: ['client'], publicKey: key });
      tlsOpts = { ca: ca.certPem, cert: cert.certPem, key: privateKeyToPem(key) };
      baseline = openFds();
    });
    after(async () => sim.close());

    async function floodIsClosed(open: (_: unknown, i: number) => Promise<net.Socket>, timeoutMs: number): Promise<void> {
      let peak = 0;
      const sampler = setInterval(() => (peak = Math.max(peak, openFds())), 20);
      // Each socket's clock starts when it is open: connecting 300 takes a while on a loaded machine.
      const closes = await Promise.all(Array.from({ length: FLOOD }, async (_, i) => closedWithin(await open(_, i), Date.now())));
      clearInterval(sampler);
      // Both ends of each connection live in this process: a flood that is held shows as up to 2 fds per socket.
      expect(peak, `peak open files ${peak}, baseline ${baseline}`).to.be.greaterThan(baseline + FLOOD / 2);
      expect(Math.max(...closes), 'slowest close after the socket was open (ms)').to.be.at.most(timeoutMs + SLACK_MS);
      await eventually(() => sim.acceptedConnections === 0, 'the server still counts open connections');
      await eventually(() => openFds() <= baseline, `open files back to ${baseline} (now ${openFds()})`);
    }

    it(`closes ${FLOOD} idle TCP connections that never start a handshake, and the fds return to baseline`, () =>
      floodIsClosed(() => connectTcp(cluster.endpoint.port), LIMITS.handshakeTimeoutMs));

    it(`closes ${FLOOD} connections that send a partial ClientHello and stop`, () =>
      floodIsClosed(async () => {
        const s = await connectTcp(cluster.endpoint.port);
        s.write(PARTIAL_CLIENT_HELLO);
        return s;
      }, LIMITS.handshakeTimeoutMs));

    it(`closes ${FLOOD} completed handshakes (HTTP/1.1 and HTTP/2) that never send a request`, () =>
      floodIsClosed((_: unknown, i: number) => handshake(cluster.endpoint.port, i % 2 ? ['h2'] : ['http/1.1']), LIMITS.handshakeTimeoutMs + LIMITS.firstRequestTimeoutMs));

    it('keeps an HTTP/1.1 keep-alive connection between requests, and closes it after the idle timeout', async () => {
      const agent = new https.Agent({ keepAlive: true, maxSockets: 1 });
      const get = (): Promise<net.Socket> =>
        new Promise((resolve, reject) => {
          const req = https.get({ host: '127.0.0.1', port: cluster.endpoint.port, path: '/api/v1/namespaces', agent, ...tlsOpts }, (res) => {
            res.resume();
            res.on('end', () => resolve(req.socket!));
          });
          req.on('error', reject);
        });
      const first = await get();
      await new Promise((r) => setTimeout(r, LIMITS.idleTimeoutMs / 2));
      const second = await get();
      expect(second, 'the second request reuses the connection').to.equal(first);
      const start = Date.now();
      const took = await closedWithin(second, start);
      expect(took).to.be.at.least(LIMITS.idleTimeoutMs / 2).and.at.most(LIMITS.idleTimeoutMs + SLACK_MS);
      agent.destroy();
    });

    it('never cuts a watch that outlives the idle timeout (HTTP/1.1 and HTTP/2); it still delivers events', async () => {
      const path = '/api/v1/namespaces/default/configmaps?watch=true';
      const h1Lines: string[] = [];
      const h1 = https.get({ host: '127.0.0.1', port: cluster.endpoint.port, path, agent: false, ...tlsOpts }, (res) => {
        res.setEncoding('utf8');
        res.on('data', (d: string) => h1Lines.push(d));
      });
      h1.on('error', () => undefined);
      const session = http2.connect(`https://127.0.0.1:${cluster.endpoint.port}`, tlsOpts);
      session.on('error', () => undefined);
      const h2Lines: string[] = [];
      const stream = session.request({ ':path': path });
      stream.setEncoding('utf8');
      stream.on('data', (d: string) => h2Lines.push(d));
      await new Promise((r) => setTimeout(r, LIMITS.idleTimeoutMs * 2 + LIMITS.firstRequestTimeoutMs));
      cluster.resources.create(cluster.registry.byResource('', 'v1', 'configmaps')!, 'default', { metadata: { name: 'after-idle' } });
      await eventually(() => h1Lines.join('').includes('after-idle') && h2Lines.join('').includes('after-idle'), 'both watches saw the new object');
      h1.destroy();
      stream.close();
      session.close();
    });
  });

  describe('caps', () => {
    const logged: string[] = [];
    const logger = pino(
      { level: 'warn' },
      new Writable({
        write(chunk: Buffer, _enc, done) {
          logged.push(chunk.toString());
          done();
        },
      }),
    );
    let sim: Simulator;
    let a: FakeCluster;
    let b: FakeCluster;

    before(async () => {
      sim = new Simulator({ logger, connectionLimits: { ...LIMITS, handshakeTimeoutMs: 20_000, maxConnectionsPerListener: 20, maxConnections: 30 } });
      a = await sim.createCluster({ name: 'cap-a' });
      b = await sim.createCluster({ name: 'cap-b' });
    });
    after(async () => sim.close());

    it('closes connections beyond the per-listener cap at once, with one warning line for the whole flood', async () => {
      const sockets = await Promise.all(Array.from({ length: 60 }, () => connectTcp(a.endpoint.port)));
      await eventually(() => sockets.filter((s) => s.destroyed).length >= 40, 'the 40 connections beyond the cap are closed');
      expect(sim.acceptedConnections).to.equal(20);
      const warnings = logged.filter((l) => l.includes('connection limit reached for this cluster'));
      expect(warnings, logged.join('')).to.have.length(1);
      expect(JSON.parse(warnings[0]!)).to.include({ maxConnectionsPerListener: 20, cluster: 'cap-a' });
      for (const s of sockets) s.destroy();
      await eventually(() => sim.acceptedConnections === 0, 'slots are given back');
    });

    it('closes connections beyond the process-wide cap, whichever cluster they reach', async () => {
      const onA = await Promise.all(Array.from({ length: 20 }, () => connectTcp(a.endpoint.port)));
      await eventually(() => sim.acceptedConnections === 20, 'cluster a holds 20');
      const onB = await Promise.all(Array.from({ length: 20 }, () => connectTcp(b.endpoint.port)));
      await eventually(() => onB.filter((s) => s.destroyed).length >= 10, 'the 10 beyond the process cap are closed');
      expect(sim.acceptedConnections).to.equal(30);
      expect(logged.filter((l) => l.includes('for the whole process'))).to.have.length(1);
      for (const s of [...onA, ...onB]) s.destroy();
      await eventually(() => sim.acceptedConnections === 0, 'slots are given back');
      const fresh = await connectTcp(b.endpoint.port);
      await eventually(() => sim.acceptedConnections === 1, 'a new connection is accepted again');
      fresh.destroy();
    });
  });
});
