import { expect } from 'chai';
import { credentials, Metadata, status, type Client, type ServiceError } from '@grpc/grpc-js';
import { createCertificateAuthority, issueCertificate } from '../../src/pki/certificates.js';
import { generateEcKey, privateKeyToPem } from '../../src/pki/keys.js';
import { etcdClients } from '../../src/simulator/etcd/proto.js';
import { startFakeCluster, type FakeClusterFixture } from '../support/fake-cluster.js';
import { addControlPlaneNode, adminTls, etcdctl, kubectlPortForward, KCP_ETCD_CLIENT_CN, writeEtcdClientCert, type ClientCertFiles, type PortForward } from '../support/etcd-clients.js';
import { bridgeTunnel } from '../support/grpc-bridge.js';
import { SpdyPortForwardTunnel } from '../support/spdy-client.js';

/**
 * The fake etcd behind `kubectl port-forward pod/etcd-<node> :2379`, as
 * the real etcdctl (bin/etcdctl at ETCD_VERSION, built by `npm run tools`) and a gRPC client
 * dialling like CAPI's KCP see it: members = control-plane nodes.
 */

const NODES = [
  { name: 'cp-0', ip: '10.0.0.10' },
  { name: 'cp-1', ip: '10.0.0.11' },
  { name: 'cp-2', ip: '10.0.0.12' },
];
const ETCD_PORT = 2379;
const GRPC_DEADLINE_MS = 10_000;

/** etcdctl prints member IDs in hex. */
const hex = (id: bigint | string): string => BigInt(id).toString(16);

/**
 * The rows of `etcdctl ... -w table` as column name -> cell: specs read columns by name, since
 * etcdctl versions differ in which columns they print (3.6 adds STORAGE VERSION and IN USE).
 */
function tableRows(out: string): Record<string, string>[] {
  const cells = (line: string): string[] => line.split('|').slice(1, -1).map((c) => c.trim());
  const [header = [], ...rows] = out.split('\n').filter((l) => l.startsWith('|')).map(cells);
  return rows.map((row) => Object.fromEntries(header.map((name, i) => [name, row[i] ?? ''])));
}
const rowOf = (out: string, id: bigint | string): Record<string, string> | undefined => tableRows(out).find((r) => r.ID === hex(id));

describe('fake etcd through port-forward', function () {
  this.timeout(120_000);
  let fx: FakeClusterFixture;
  let certs: ClientCertFiles;

  beforeEach(async () => {
    fx = await startFakeCluster();
    for (const n of NODES) addControlPlaneNode(fx.cluster, n.name, n.ip);
    certs = await writeEtcdClientCert(fx.dir, 'kcp', await fx.simulator.etcdCaOf(fx.cluster.name));
  });
  afterEach(async () => {
    await fx.close();
  });

  const forward = (node: string, env: Record<string, string> = {}): Promise<PortForward> =>
    kubectlPortForward(fx.kubeconfigPath, fx.dir, `pod/etcd-${node}`, ETCD_PORT, env);

  for (const [protocol, env] of [
    ['WebSocket', {}],
    ['SPDY', { KUBECTL_PORT_FORWARD_WEBSOCKETS: 'false' }],
  ] as const) {
    it(`etcdctl member list, endpoint status, endpoint health and alarm list match the control-plane nodes (kubectl ${protocol})`, async () => {
      const pf = await forward('cp-1', env);
      try {
        const list = await etcdctl(pf.localPort, certs, ['member', 'list', '-w', 'json']);
        expect(list.code, list.stderr).to.equal(0);
        const members = (JSON.parse(list.stdout) as { members: { ID: number; name: string; peerURLs: string[] }[] }).members;
        expect(members.map((m) => m.name)).to.deep.equal(NODES.map((n) => n.name));
        expect(members.map((m) => m.peerURLs[0])).to.deep.equal(NODES.map((n) => `https://${n.ip}:2380`));

        const statusOut = await etcdctl(pf.localPort, certs, ['endpoint', 'status', '-w', 'table']);
        expect(statusOut.code, statusOut.stderr).to.equal(0);
        const cp1 = fx.cluster.etcd.memberByName('cp-1')!;
        expect(rowOf(statusOut.stdout, cp1.id), statusOut.stdout).to.include({ VERSION: '3.5.16', 'IS LEADER': 'false', 'IS LEARNER': 'false' });

        const health = await etcdctl(pf.localPort, certs, ['endpoint', 'health']);
        expect(health.code, health.stderr).to.equal(0);
        expect(health.stdout + health.stderr).to.contain('is healthy');

        const alarms = await etcdctl(pf.localPort, certs, ['alarm', 'list']);
        expect(alarms.code, alarms.stderr).to.equal(0);
        expect(alarms.stdout.trim()).to.equal('');
      } finally {
        await pf.stop();
      }
    });
  }

  it('etcdctl move-leader through the leader\'s pod moves leadership, and endpoint status follows', async () => {
    const pf = await forward('cp-0');
    try {
      const target = fx.cluster.etcd.memberByName('cp-2')!;
      const r = await etcdctl(pf.localPort, certs, ['move-leader', hex(target.id)]);
      expect(r.code, r.stderr).to.equal(0);
      expect(r.stdout).to.contain(`Leadership transferred from ${hex(fx.cluster.etcd.memberByName('cp-0')!.id)} to ${hex(target.id)}`);
      expect(fx.cluster.etcd.leader?.name).to.equal('cp-2');
      // Through cp-0's pod: cp-0 is no longer the leader.
      const s = await etcdctl(pf.localPort, certs, ['endpoint', 'status', '-w', 'table']);
      expect(rowOf(s.stdout, fx.cluster.etcd.memberByName('cp-0')!.id), s.stdout).to.include({ VERSION: '3.5.16', 'IS LEADER': 'false' });
    } finally {
      await pf.stop();
    }
  });

  it('etcdctl member remove takes the member out of every view and its pod stops serving etcd', async () => {
    const pf = await forward('cp-0');
    try {
      const gone = fx.cluster.etcd.memberByName('cp-2')!;
      const r = await etcdctl(pf.localPort, certs, ['member', 'remove', hex(gone.id)]);
      expect(r.code, r.stderr).to.equal(0);
      expect(r.stdout).to.contain(`Member ${hex(gone.id)} removed from cluster ${hex(fx.cluster.etcd.clusterId)}`);
      const list = await etcdctl(pf.localPort, certs, ['member', 'list']);
      expect(list.stdout).to.not.contain('cp-2');
      expect(list.stdout).to.contain('cp-1');
    } finally {
      await pf.stop();
    }
    const pf2 = await forward('cp-2');
    try {
      const r = await etcdctl(pf2.localPort, certs, ['endpoint', 'health', '--command-timeout=2s']);
      expect(r.code).to.not.equal(0);
      expect(pf2.output()).to.contain('connect: connection refused');
    } finally {
      await pf2.stop();
    }
  });

  it('etcdctl alarm list shows an alarm raised on a member, endpoint status reports it as an error and endpoint health fails', async () => {
    fx.cluster.etcd.activateAlarm(fx.cluster.etcd.memberByName('cp-1')!.id, 'NOSPACE');
    const pf = await forward('cp-0');
    try {
      const alarms = await etcdctl(pf.localPort, certs, ['alarm', 'list']);
      expect(alarms.stdout.trim()).to.equal(`memberID:${fx.cluster.etcd.memberByName('cp-1')!.id} alarm:NOSPACE`);
      // endpoint status shows the alarm as an error of the member it reaches.
      const st = await etcdctl(pf.localPort, certs, ['endpoint', 'status', '-w', 'json']);
      const [entry] = JSON.parse(st.stdout) as { Status: { errors?: string[] } }[];
      expect(entry!.Status.errors).to.deep.equal([`memberID:${fx.cluster.etcd.memberByName('cp-1')!.id} alarm:NOSPACE `]);
      // etcdctl (3.5 and later) asks for the alarm list in endpoint health: an active alarm makes the cluster unhealthy.
      const health = await etcdctl(pf.localPort, certs, ['endpoint', 'health', '-w', 'json']);
      expect(health.code).to.not.equal(0);
      const [checked] = JSON.parse(health.stdout) as { health: boolean; error?: string }[];
      expect(checked).to.include({ health: false, error: 'Active Alarm(s): NOSPACE ' });
    } finally {
      await pf.stop();
    }
  });

  describe('with members cut off from their peers (spec.simulation.etcd.unhealthyMembers)', () => {
    /** endpoint status as JSON; the leader's 64-bit ID is read from the text, as JSON.parse would round it. */
    const statusVia = async (node: string): Promise<{ leader: bigint; errors: string[] }> => {
      const pf = await forward(node);
      try {
        const r = await etcdctl(pf.localPort, certs, ['endpoint', 'status', '-w', 'json']);
        expect(r.code, r.stderr).to.equal(0);
        const [entry] = JSON.parse(r.stdout) as { Status: { errors?: string[] } }[];
        return { leader: BigInt(/"leader":(\d+)/.exec(r.stdout)?.[1] ?? 0), errors: entry!.Status.errors ?? [] };
      } finally {
        await pf.stop();
      }
    };
    const healthVia = async (node: string): Promise<{ health: boolean; error?: string }> => {
      const pf = await forward(node);
      try {
        const r = await etcdctl(pf.localPort, certs, ['endpoint', 'health', '-w', 'json']);
        const [h] = JSON.parse(r.stdout) as { health: boolean; error?: string }[];
        expect(r.code !== 0, `exit code ${r.code} of endpoint health via ${node}`).to.equal(!h!.health);
        return h!;
      } finally {
        await pf.stop();
      }
    };
    const idOf = (node: string): bigint => fx.cluster.etcd.memberByName(node)!.id;

    it('the cut-off member reports no leader, fails endpoint health, alarm list and a linearizable member list; the other two answer as a healthy cluster', async () => {
      await fx.cluster.setSimulation({ etcd: { unhealthyMembers: ['cp-1'] } });
      const cut = await statusVia('cp-1');
      expect(cut.leader, 'leader seen by cp-1').to.equal(0n);
      expect(cut.errors).to.deep.equal(['etcdserver: no leader']);
      expect(await healthVia('cp-1')).to.deep.include({ health: false, error: 'etcdserver: request timed out' });

      const pf = await forward('cp-1');
      try {
        const alarms = await etcdctl(pf.localPort, certs, ['alarm', 'list']);
        expect(alarms.code).to.not.equal(0);
        expect(alarms.stderr).to.contain('raft proposal dropped');
        const linearizable = await etcdctl(pf.localPort, certs, ['member', 'list']);
        expect(linearizable.code).to.not.equal(0);
        expect(linearizable.stderr).to.contain('etcdserver: request timed out');
        // A serializable list is the member's own view: it still knows its peers.
        const local = await etcdctl(pf.localPort, certs, ['member', 'list', '--consistency=s', '-w', 'json']);
        expect(local.code, local.stderr).to.equal(0);
        expect((JSON.parse(local.stdout) as { members: { name: string }[] }).members.map((m) => m.name)).to.deep.equal(NODES.map((n) => n.name));
      } finally {
        await pf.stop();
      }

      for (const node of ['cp-0', 'cp-2']) {
        const st = await statusVia(node);
        expect(st.leader, `leader seen by ${node}`).to.equal(idOf('cp-0'));
        expect(st.errors, node).to.deep.equal([]);
        expect(await healthVia(node), node).to.include({ health: true });
      }

      await fx.cluster.setSimulation({});
      expect(await healthVia('cp-1')).to.include({ health: true });
      expect((await statusVia('cp-1')).leader).to.equal(idOf('cp-0'));
    });

    it('with two of three cut off no member has a leader, and the healthy one fails endpoint health too until they are back', async () => {
      await fx.cluster.setSimulation({ etcd: { unhealthyMembers: ['cp-1', 'cp-2'] } });
      for (const node of ['cp-0', 'cp-1']) {
        expect((await statusVia(node)).errors, node).to.deep.equal(['etcdserver: no leader']);
        expect(await healthVia(node), node).to.deep.include({ health: false, error: 'etcdserver: request timed out' });
      }
      await fx.cluster.setSimulation({});
      expect(await healthVia('cp-0')).to.include({ health: true });
      expect((await statusVia('cp-2')).leader).to.equal(idOf('cp-0'));
    });
  });

  it('refuses etcdctl with a client certificate from another CA', async () => {
    const otherCa = await createCertificateAuthority({ commonName: 'etcd-ca', key: await generateEcKey() });
    const strangers = await writeEtcdClientCert(fx.dir, 'stranger', otherCa, await fx.simulator.etcdCaOf(fx.cluster.name));
    const pf = await forward('cp-0');
    try {
      const r = await etcdctl(pf.localPort, strangers, ['member', 'list', '--command-timeout=3s', '--dial-timeout=3s']);
      expect(r.code).to.not.equal(0);
      expect(r.stdout).to.equal('');
    } finally {
      await pf.stop();
    }
  });

  describe('a gRPC client dialling like KCP (SPDY tunnel, server name etcd-<node>, CA-verified)', () => {
    let tunnel: SpdyPortForwardTunnel;
    let bridge: Awaited<ReturnType<typeof bridgeTunnel>>;
    let clients: Client[];
    let call: <T>(service: string, method: string, request: object, metadata?: Metadata) => Promise<T>;

    beforeEach(async () => {
      tunnel = await SpdyPortForwardTunnel.open(await adminTls(fx.simulator, fx.cluster), 'kube-system', 'etcd-cp-0');
      bridge = await bridgeTunnel(tunnel, ETCD_PORT);
      const ca = await fx.simulator.etcdCaOf(fx.cluster.name);
      const key = await generateEcKey();
      const cert = issueCertificate(ca, { commonName: KCP_ETCD_CLIENT_CN, usages: ['client'], publicKey: key });
      const creds = credentials.createSsl(Buffer.from(ca.certPem), Buffer.from(privateKeyToPem(key)), Buffer.from(cert.certPem));
      const pkg = await etcdClients();
      clients = [];
      const byService = new Map<string, Client>();
      call = <T>(service: string, method: string, request: object, metadata = new Metadata()): Promise<T> => {
        let client = byService.get(service);
        if (!client) {
          const Ctor = pkg[service] as unknown as new (address: string, c: typeof creds, o: object) => Client;
          client = new Ctor(`127.0.0.1:${bridge.port}`, creds, { 'grpc.ssl_target_name_override': 'etcd-cp-0', 'grpc.default_authority': 'etcd-cp-0' });
          byService.set(service, client);
          clients.push(client);
        }
        const c = client as unknown as Record<string, (req: object, md: Metadata, opts: object, cb: (err: ServiceError | null, res: T) => void) => void>;
        return new Promise<T>((resolve, reject) => c[method]!.call(client, request, metadata, { deadline: Date.now() + GRPC_DEADLINE_MS }, (err, res) => (err ? reject(err) : resolve(res))));
      };
    });
    afterEach(async () => {
      for (const c of clients) c.close();
      await bridge.close();
      await tunnel.close();
    });

    it('calls Status, MemberList, Alarm, MoveLeader and MemberRemove as KCP does', async () => {
      const etcd = fx.cluster.etcd;
      const [cp0, cp1, cp2] = etcd.members;
      const st = await call<{ leader: string; version: string; errors: string[]; header: { member_id: string } }>('Maintenance', 'Status', {});
      expect(st).to.include({ leader: String(cp0!.id), version: '3.5.16' });
      expect(st.header.member_id).to.equal(String(cp0!.id));
      expect(st.errors).to.deep.equal([]);

      const list = await call<{ members: { name: string; ID: string }[] }>('Cluster', 'MemberList', {});
      expect(list.members.map((m) => m.name)).to.deep.equal(['cp-0', 'cp-1', 'cp-2']);

      const alarms = await call<{ alarms: unknown[] }>('Maintenance', 'Alarm', { action: 0, memberID: '0', alarm: 0 });
      expect(alarms.alarms).to.deep.equal([]);

      await call('Maintenance', 'MoveLeader', { targetID: String(cp1!.id) });
      expect(etcd.leader?.name).to.equal('cp-1');
      const notLeader = (await call('Maintenance', 'MoveLeader', { targetID: String(cp2!.id) }).catch((e: unknown) => e)) as ServiceError;
      expect(notLeader).to.include({ code: status.FAILED_PRECONDITION, details: 'etcdserver: not leader' });

      const removed = await call<{ members: { name: string }[] }>('Cluster', 'MemberRemove', { ID: String(cp2!.id) });
      expect(removed.members.map((m) => m.name)).to.deep.equal(['cp-0', 'cp-1']);
      expect(etcd.memberByName('cp-2')).to.equal(undefined);
    });

    it('adds and promotes a learner, answers Range for the health key, and says UNIMPLEMENTED for the rest', async () => {
      const added = await call<{ member: { ID: string; name: string; isLearner: boolean } }>('Cluster', 'MemberAdd', { peerURLs: ['https://10.0.0.13:2380'], isLearner: true });
      expect(added.member).to.include({ name: '', isLearner: true });
      const promoted = await call<{ members: { ID: string; isLearner: boolean }[] }>('Cluster', 'MemberPromote', { ID: added.member.ID });
      expect(promoted.members.find((m) => m.ID === added.member.ID)?.isLearner).to.equal(false);
      const missing = (await call('Cluster', 'MemberRemove', { ID: '12345' }).catch((e: unknown) => e)) as ServiceError;
      expect(missing).to.include({ code: status.NOT_FOUND, details: 'etcdserver: member not found' });

      const range = await call<{ count: string; kvs: unknown[] }>('KV', 'Range', { key: Buffer.from('health') });
      expect(range).to.deep.include({ count: '0', kvs: [] });

      const put = (await call('KV', 'Put', { key: Buffer.from('a'), value: Buffer.from('b') }).catch((e: unknown) => e)) as ServiceError;
      expect(put.code).to.equal(status.UNIMPLEMENTED);
      expect(put.details).to.contain('etcdserverpb.KV/Put is not implemented by the fake etcd');
    });

    it('answers as a member cut off from its peers: Status without a leader, linearizable reads and proposals failing, serializable reads served', async () => {
      await fx.cluster.setSimulation({ etcd: { unhealthyMembers: ['cp-0'] } });
      const failure = (p: Promise<unknown>): Promise<{ code?: status; details?: string }> => p.then(() => ({}), (e: ServiceError) => ({ code: e.code, details: e.details }));
      const st = await call<{ leader: string; errors: string[] }>('Maintenance', 'Status', {});
      expect(st).to.deep.include({ leader: '0', errors: ['etcdserver: no leader'] });
      expect(await failure(call('Cluster', 'MemberList', { linearizable: true }))).to.deep.equal({ code: status.UNAVAILABLE, details: 'etcdserver: request timed out' });
      expect(await failure(call('KV', 'Range', { key: Buffer.from('health') }))).to.deep.equal({ code: status.UNAVAILABLE, details: 'etcdserver: request timed out' });
      expect(await failure(call('Maintenance', 'Alarm', { action: 0, memberID: '0', alarm: 0 }))).to.deep.equal({ code: status.UNKNOWN, details: 'raft proposal dropped' });
      expect(await failure(call('Cluster', 'MemberRemove', { ID: String(fx.cluster.etcd.memberByName('cp-2')!.id) }))).to.deep.equal({ code: status.UNKNOWN, details: 'raft proposal dropped' });
      expect(await failure(call('Maintenance', 'MoveLeader', { targetID: String(fx.cluster.etcd.memberByName('cp-2')!.id) }))).to.deep.equal({ code: status.FAILED_PRECONDITION, details: 'etcdserver: not leader' });
      // clientv3.WithRequireLeader: refused at once, whatever the call.
      const requireLeader = new Metadata();
      requireLeader.set('hasleader', 'true');
      expect(await failure(call('Cluster', 'MemberList', {}, requireLeader))).to.deep.equal({ code: status.UNAVAILABLE, details: 'etcdserver: no leader' });
      const local = await call<{ members: { name: string }[] }>('Cluster', 'MemberList', { linearizable: false });
      expect(local.members.map((m) => m.name)).to.deep.equal(['cp-0', 'cp-1', 'cp-2']);
      expect(await call<{ count: string }>('KV', 'Range', { key: Buffer.from('health'), serializable: true })).to.include({ count: '0' });
      expect(fx.cluster.etcd.members).to.have.length(3);
      // The other two elected a leader among themselves.
      expect(fx.cluster.etcd.leader?.name).to.equal('cp-1');
      await fx.cluster.setSimulation({});
      expect(await call<{ leader: string; errors: string[] }>('Maintenance', 'Status', {})).to.deep.include({ leader: String(fx.cluster.etcd.memberByName('cp-1')!.id), errors: [] });
      expect((await call<{ alarms: unknown[] }>('Maintenance', 'Alarm', { action: 0, memberID: '0', alarm: 0 })).alarms).to.deep.equal([]);
    });

    it('closes every etcd connection when its tunnels close', async () => {
      await call('Cluster', 'MemberList', {});
      expect(fx.simulator.tunnelStats.etcdConnections).to.equal(1);
      for (const c of clients) c.close();
      clients = [];
      await bridge.close();
      await tunnel.close();
      const deadline = Date.now() + 5_000;
      while (fx.simulator.tunnelStats.etcdConnections > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      expect(fx.simulator.tunnelStats).to.deep.equal({ portForwardTunnels: 0, etcdConnections: 0 });
    });
  });
});
