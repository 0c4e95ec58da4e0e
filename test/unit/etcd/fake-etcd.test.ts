import { expect } from 'chai';
import { status } from '@grpc/grpc-js';
import { EtcdError } from '../../../src/simulator/etcd/errors.js';
import { ETCD_VERSION, FakeEtcd } from '../../../src/simulator/etcd/fake-etcd.js';

/** The fake etcd's state machine, as etcd's own behaviour defines it. */

function etcdWith(...names: string[]): FakeEtcd {
  const etcd = new FakeEtcd('unit');
  names.forEach((n, i) => etcd.addMember(n, { ip: `10.0.0.${i + 1}` }));
  return etcd;
}

function codeOf(fn: () => unknown): { code: status; message: string } {
  try {
    fn();
  } catch (err) {
    if (err instanceof EtcdError) return { code: err.code, message: err.message };
    throw err;
  }
  throw new Error('expected an etcd error');
}

describe('FakeEtcd', () => {
  it('names members after their nodes, with stable IDs and the peer and client URLs of their IPs', () => {
    const a = etcdWith('cp-0', 'cp-1');
    const b = etcdWith('cp-0', 'cp-1');
    expect(a.members.map((m) => m.name)).to.deep.equal(['cp-0', 'cp-1']);
    expect(a.members.map((m) => m.id)).to.deep.equal(b.members.map((m) => m.id));
    expect(a.members[1]).to.include({ isLearner: false });
    expect(a.members[1]!.peerURLs).to.deep.equal(['https://10.0.0.2:2380']);
    expect(a.members[1]!.clientURLs).to.deep.equal(['https://10.0.0.2:2379']);
  });

  it('adds a member once however often its node registers', () => {
    const etcd = etcdWith('cp-0');
    etcd.addMember('cp-0', { ip: '10.0.0.1' });
    expect(etcd.members).to.have.length(1);
  });

  it('makes the first member leader and reports it in every member\'s status', () => {
    const etcd = etcdWith('cp-0', 'cp-1', 'cp-2');
    const leader = etcd.members[0]!.id;
    for (const m of etcd.members) expect(etcd.status(m.id)).to.include({ leader, version: ETCD_VERSION });
    expect(etcd.status(leader).errors).to.deep.equal([]);
  });

  it('moves leadership only when asked by the leader, to a voting member, and raises the term', () => {
    const etcd = etcdWith('cp-0', 'cp-1');
    const [m0, m1] = etcd.members;
    const term = etcd.raftTerm;
    expect(codeOf(() => etcd.moveLeader(m1!.id, m0!.id))).to.deep.equal({ code: status.FAILED_PRECONDITION, message: 'etcdserver: not leader' });
    expect(codeOf(() => etcd.moveLeader(m0!.id, 42n))).to.deep.equal({ code: status.FAILED_PRECONDITION, message: 'etcdserver: bad leader transferee' });
    etcd.moveLeader(m0!.id, m1!.id);
    expect(etcd.leader?.name).to.equal('cp-1');
    expect(etcd.raftTerm).to.equal(term + 1);
  });

  it('removes a member from every view, hands leadership over, and tells whoever serves its connections', () => {
    const etcd = etcdWith('cp-0', 'cp-1');
    const stopped: bigint[] = [];
    etcd.onMemberStopped = (id) => stopped.push(id);
    const leader = etcd.members[0]!;
    etcd.activateAlarm(leader.id, 'NOSPACE');
    const term = etcd.raftTerm;
    etcd.removeMember(leader.id);
    expect(etcd.members.map((m) => m.name)).to.deep.equal(['cp-1']);
    expect(etcd.leader?.name).to.equal('cp-1');
    expect(etcd.raftTerm, 'an election').to.equal(term + 1);
    expect(etcd.alarms).to.deep.equal([]);
    expect(stopped).to.deep.equal([leader.id]);
    expect(codeOf(() => etcd.status(leader.id)).code).to.equal(status.UNAVAILABLE);
    expect(codeOf(() => etcd.removeMember(leader.id))).to.deep.equal({ code: status.NOT_FOUND, message: 'etcdserver: member not found' });
  });

  it('adds an unstarted member by peer URL, which the node that joins with that IP then becomes', () => {
    const etcd = etcdWith('cp-0');
    const added = etcd.memberAdd(['https://10.0.0.9:2380'], true);
    expect(added).to.include({ name: '', isLearner: true });
    expect(added.clientURLs).to.deep.equal([]);
    expect(codeOf(() => etcd.memberAdd(['https://10.0.0.9:2380'], false)).message).to.equal('etcdserver: Peer URLs already exists');
    etcd.addMember('cp-9', { ip: '10.0.0.9' });
    expect(etcd.members).to.have.length(2);
    expect(etcd.memberByName('cp-9')?.id).to.equal(added.id);
    etcd.memberPromote(added.id);
    expect(etcd.memberByName('cp-9')?.isLearner).to.equal(false);
    expect(codeOf(() => etcd.memberPromote(added.id)).message).to.equal('etcdserver: can only promote a learner member');
  });

  // Bad inputs tried: no peer URLs, a URL without a port, a path, another scheme, garbage.
  for (const urls of [[], ['https://10.0.0.9'], ['https://10.0.0.9:2380/x'], ['unix://sock:1'], ['::::']]) {
    it(`refuses MemberAdd with peer URLs ${JSON.stringify(urls)} as invalid`, () => {
      expect(codeOf(() => etcdWith('cp-0').memberAdd(urls, false))).to.deep.equal({ code: status.INVALID_ARGUMENT, message: 'etcdserver: given member URLs are invalid' });
    });
  }

  it('lists, raises and clears alarms, and reports them as Status errors in etcd\'s text form', () => {
    const etcd = etcdWith('cp-0', 'cp-1');
    const m1 = etcd.members[1]!;
    etcd.activateAlarm(m1.id, 'NOSPACE');
    etcd.activateAlarm(m1.id, 'NOSPACE');
    expect(etcd.listAlarms()).to.deep.equal([{ memberId: m1.id, alarm: 'NOSPACE' }]);
    expect(etcd.listAlarms('CORRUPT')).to.deep.equal([]);
    expect(etcd.status(m1.id).errors).to.deep.equal([`memberID:${m1.id} alarm:NOSPACE `]);
    expect(etcd.deactivateAlarm(m1.id, 'NOSPACE')).to.have.length(1);
    expect(etcd.listAlarms()).to.deep.equal([]);
  });

  it('ranges over its tiny key space: a key, a prefix, everything from a key, with limits', () => {
    const etcd = etcdWith('cp-0');
    for (const k of ['/a/1', '/a/2', '/b/1']) etcd.put(k, `v${k}`);
    const keys = (r: { kvs: { key: Buffer }[] }): string[] => r.kvs.map((kv) => kv.key.toString());
    expect(keys(etcd.range({ key: Buffer.from('/a/1') }))).to.deep.equal(['/a/1']);
    expect(keys(etcd.range({ key: Buffer.from('/a/'), rangeEnd: Buffer.from('/a0') }))).to.deep.equal(['/a/1', '/a/2']);
    expect(keys(etcd.range({ key: Buffer.from('/a/2'), rangeEnd: Buffer.from([0]) }))).to.deep.equal(['/a/2', '/b/1']);
    expect(etcd.range({ key: Buffer.from('/'), rangeEnd: Buffer.from([0]), limit: 1 })).to.include({ count: 3, more: true });
    expect(etcd.range({ key: Buffer.from('health') }).count).to.equal(0);
    expect(codeOf(() => etcd.range({ key: Buffer.alloc(0) })).message).to.equal('etcdserver: key is not provided');
  });

  describe('with members cut off from their peers (spec.simulation.etcd.unhealthyMembers)', () => {
    const timedOut = { code: status.UNAVAILABLE, message: 'etcdserver: request timed out' };
    const dropped = { code: status.UNKNOWN, message: 'raft proposal dropped' };
    const commits = (etcd: FakeEtcd, name: string, kind: 'read' | 'proposal'): boolean => {
      try {
        etcd.checkCommit(etcd.memberByName(name)!.id, kind);
        return true;
      } catch {
        return false;
      }
    };

    it('a follower alone in its part reports no leader and commits nothing; the majority goes on under the same leader and term', () => {
      const etcd = etcdWith('cp-0', 'cp-1', 'cp-2');
      const [m0, m1] = etcd.members;
      const term = etcd.raftTerm;
      etcd.setSimulation({ unhealthyMembers: ['cp-1'] });
      expect(etcd.status(m1!.id)).to.include({ leader: 0n });
      expect(etcd.status(m1!.id).errors).to.deep.equal(['etcdserver: no leader']);
      expect(codeOf(() => etcd.checkCommit(m1!.id, 'read'))).to.deep.equal(timedOut);
      expect(codeOf(() => etcd.checkCommit(m1!.id, 'proposal'))).to.deep.equal(dropped);
      for (const name of ['cp-0', 'cp-2']) {
        expect(etcd.status(etcd.memberByName(name)!.id)).to.deep.include({ leader: m0!.id, errors: [] });
        expect(commits(etcd, name, 'read') && commits(etcd, name, 'proposal'), name).to.equal(true);
      }
      expect(etcd.raftTerm).to.equal(term);
      expect(codeOf(() => etcd.moveLeader(m0!.id, m1!.id))).to.deep.equal({ code: status.UNKNOWN, message: 'etcdserver: request timed out, leader transfer took too long' });
      etcd.setSimulation({});
      expect(etcd.status(m1!.id)).to.deep.include({ leader: m0!.id, errors: [] });
      expect(commits(etcd, 'cp-1', 'read')).to.equal(true);
    });

    it('a cut-off leader loses its leadership: the others elect one of themselves in a new term', () => {
      const etcd = etcdWith('cp-0', 'cp-1', 'cp-2');
      const [m0, m1] = etcd.members;
      const term = etcd.raftTerm;
      etcd.setSimulation({ unhealthyMembers: ['cp-0'] });
      expect(etcd.leader?.name).to.equal('cp-1');
      expect(etcd.raftTerm).to.equal(term + 1);
      expect(etcd.status(m0!.id).leader).to.equal(0n);
      expect(codeOf(() => etcd.moveLeader(m0!.id, m1!.id)).message).to.equal('etcdserver: not leader');
      expect(() => etcd.electLeader('cp-0')).to.throw('cut off');
      // Without the new leader, one healthy voter of two is no majority: no member has a leader.
      etcd.removeMember(m1!.id);
      expect(etcd.leader).to.equal(undefined);
      expect(etcd.status(etcd.memberByName('cp-2')!.id).errors).to.deep.equal(['etcdserver: no leader']);
    });

    it('without a majority of healthy voters no member has a leader, until they come back and elect one', () => {
      const etcd = etcdWith('cp-0', 'cp-1', 'cp-2');
      const term = etcd.raftTerm;
      etcd.setSimulation({ unhealthyMembers: ['cp-1', 'cp-2'] });
      for (const m of etcd.members) {
        expect(etcd.status(m.id).errors, m.name).to.deep.equal(['etcdserver: no leader']);
        expect(codeOf(() => etcd.checkCommit(m.id, 'read')), m.name).to.deep.equal(timedOut);
        expect(codeOf(() => etcd.checkCommit(m.id, 'proposal')), m.name).to.deep.equal(dropped);
      }
      expect(etcd.leader).to.equal(undefined);
      etcd.setSimulation({});
      expect(etcd.leader?.name).to.equal('cp-0');
      expect(etcd.raftTerm).to.equal(term + 1);
      for (const m of etcd.members) expect(etcd.status(m.id).errors, m.name).to.deep.equal([]);
    });

    it('the only voter is a quorum on its own: it keeps leading, but neither a read nor a proposal completes', () => {
      const etcd = etcdWith('cp-0');
      const [m0] = etcd.members;
      etcd.setSimulation({ unhealthyMembers: ['cp-0'] });
      expect(etcd.status(m0!.id)).to.deep.include({ leader: m0!.id, errors: [] });
      expect(codeOf(() => etcd.checkCommit(m0!.id, 'read'))).to.deep.equal(timedOut);
      expect(codeOf(() => etcd.checkCommit(m0!.id, 'proposal'))).to.deep.equal(timedOut);
    });
  });
});
