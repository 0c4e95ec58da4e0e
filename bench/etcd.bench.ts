import { credentials, type Client, type ServiceError } from '@grpc/grpc-js';
import { issueCertificate } from '../src/pki/certificates.js';
import { generateEcKey, privateKeyToPem } from '../src/pki/keys.js';
import { etcdClients } from '../src/simulator/etcd/proto.js';
import { Simulator } from '../src/simulator/simulator.js';
import { addControlPlaneNode, adminTls, KCP_ETCD_CLIENT_CN } from '../test/support/etcd-clients.js';
import { bridgeTunnel } from '../test/support/grpc-bridge.js';
import { SpdyPortForwardTunnel } from '../test/support/spdy-client.js';
import { report } from './support.js';

/**
 * What KCP pays per etcd check: open a port-forward tunnel (TLS to the API
 * server, SPDY upgrade), TLS to etcd inside it, one MemberList, close. And
 * how many tunnels one fake cluster holds open at once. Client and server
 * share this process (the client's work is counted too).
 */

const CYCLES = Number(process.env.BENCH_ETCD_CYCLES ?? '300');
const CONCURRENT_TUNNELS = Number(process.env.BENCH_ETCD_TUNNELS ?? '200');
const CONTROL_PLANE_NODES = 3;
const RPC_DEADLINE_MS = 10_000;

type MemberListClient = Client & { MemberList(req: object, opts: object, cb: (err: ServiceError | null) => void): void };

export async function benchEtcd(): Promise<void> {
  const sim = new Simulator();
  const cluster = await sim.createCluster({ name: 'bench-etcd' });
  for (let i = 0; i < CONTROL_PLANE_NODES; i++) addControlPlaneNode(cluster, `cp-${i}`, `10.0.0.${i + 10}`);
  const apiTls = await adminTls(sim, cluster);
  const ca = await sim.etcdCaOf(cluster.name);
  const key = await generateEcKey();
  const cert = issueCertificate(ca, { commonName: KCP_ETCD_CLIENT_CN, usages: ['client'], publicKey: key });
  const creds = credentials.createSsl(Buffer.from(ca.certPem), Buffer.from(privateKeyToPem(key)), Buffer.from(cert.certPem));
  const Cluster = (await etcdClients()).Cluster as unknown as new (address: string, c: typeof creds, o: object) => MemberListClient;

  /** One KCP-style session: tunnel, bridge, gRPC client; returns what closes it. */
  const open = async (): Promise<{ call(): Promise<void>; close(): Promise<void> }> => {
    const tunnel = await SpdyPortForwardTunnel.open(apiTls, 'kube-system', 'etcd-cp-0');
    const bridge = await bridgeTunnel(tunnel, 2379);
    const client = new Cluster(`127.0.0.1:${bridge.port}`, creds, { 'grpc.ssl_target_name_override': 'etcd-cp-0', 'grpc.default_authority': 'etcd-cp-0' });
    return {
      call: () => new Promise<void>((resolve, reject) => client.MemberList({}, { deadline: Date.now() + RPC_DEADLINE_MS }, (err) => (err ? reject(err) : resolve()))),
      close: async () => {
        client.close();
        await bridge.close();
        await tunnel.close();
      },
    };
  };

  try {
    console.log(`etcd through port-forward (fake cluster with ${CONTROL_PLANE_NODES} control-plane nodes; client in the same process)`);
    await (async () => {
      const s = await open();
      await s.call();
      await s.close();
    })(); // warm up: protos, gRPC server, etcd TLS context
    const times: number[] = [];
    for (let i = 0; i < CYCLES; i++) {
      const t0 = performance.now();
      const s = await open();
      await s.call();
      times.push(performance.now() - t0);
      await s.close();
    }
    times.sort((a, b) => a - b);
    report(`open tunnel + TLS + MemberList (${CYCLES} cycles): p50`, percentile(times, 0.5), 'ms');
    report(`open tunnel + TLS + MemberList (${CYCLES} cycles): p99`, percentile(times, 0.99), 'ms');

    const rssBefore = process.memoryUsage().rss;
    const t0 = performance.now();
    const sessions = await Promise.all(Array.from({ length: CONCURRENT_TUNNELS }, () => open()));
    await Promise.all(sessions.map((s) => s.call()));
    const openMs = performance.now() - t0;
    const held = sim.tunnelStats;
    const t1 = performance.now();
    await Promise.all(sessions.map((s) => s.call()));
    const roundMs = performance.now() - t1;
    const rssPerTunnelKiB = (process.memoryUsage().rss - rssBefore) / 1024 / CONCURRENT_TUNNELS;
    await Promise.all(sessions.map((s) => s.close()));
    report(`concurrent tunnels held by one cluster`, held.portForwardTunnels, 'tunnels');
    report(`concurrent etcd gRPC connections held`, held.etcdConnections, 'conns');
    report(`time to open ${CONCURRENT_TUNNELS} tunnels at once + one MemberList each`, openMs, 'ms');
    report(`one MemberList on each of ${CONCURRENT_TUNNELS} open tunnels: calls/s`, (CONCURRENT_TUNNELS / roundMs) * 1000, 'calls/s');
    report('memory per open tunnel (client and server sides)', rssPerTunnelKiB, 'KiB');
  } finally {
    await sim.close();
  }
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] ?? 0;
}
