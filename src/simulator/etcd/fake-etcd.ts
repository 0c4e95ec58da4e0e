import { createHash } from 'node:crypto';
import { ETCD_ERRORS } from './errors.js';

/**
 * The state of one fake cluster's etcd: its members, who leads, raft
 * term/index, alarms and a tiny key space. No I/O and no timers: the gRPC
 * layer and the programmatic API both drive it, so what etcdctl, KCP and a
 * test see is always the same. A handful of fields per cluster; the key
 * space is allocated only when something is put.
 */

/** The etcd the static pods claim to run (registry.k8s.io/etcd:3.5.16-0 in the workload template). */
export const ETCD_VERSION = '3.5.16';
/** What Status reports as the backend size: a small, freshly initialised cluster. */
export const DB_SIZE_BYTES = 4 * 1024 * 1024;
export const DB_SIZE_IN_USE_BYTES = 3 * 1024 * 1024;
/** A new etcd cluster has held one election when clients first see it. */
const INITIAL_RAFT_TERM = 2;
const INITIAL_RAFT_INDEX = 4;
export const ETCD_CLIENT_PORT = 2379;
export const ETCD_PEER_PORT = 2380;
const DEFAULT_MEMBER_IP = '127.0.0.1';

export type AlarmType = 'NOSPACE' | 'CORRUPT';
export const ALARM_TYPES: readonly AlarmType[] = ['NOSPACE', 'CORRUPT'];

export interface EtcdMember {
  readonly id: bigint;
  /** Empty until the member has started (added by MemberAdd, not yet joined). */
  name: string;
  readonly peerURLs: readonly string[];
  clientURLs: readonly string[];
  isLearner: boolean;
}

export interface EtcdAlarm {
  readonly memberId: bigint;
  readonly alarm: AlarmType;
}

export interface EtcdStatus {
  readonly member: EtcdMember;
  readonly leader: bigint;
  readonly raftTerm: number;
  readonly raftIndex: number;
  readonly revision: number;
  readonly version: string;
  readonly dbSize: number;
  readonly dbSizeInUse: number;
  /** As etcd reports them: alarms in protobuf text form. */
  readonly errors: readonly string[];
}

export interface KeyValue {
  readonly key: Buffer;
  readonly value: Buffer;
  readonly createRevision: number;
  readonly modRevision: number;
  readonly version: number;
}

export interface RangeQuery {
  readonly key: Buffer;
  readonly rangeEnd?: Buffer;
  readonly limit?: number;
}

/** spec.simulation.etcd: what the fake etcd pretends is wrong with it. */
export interface EtcdSimulation {
  /** Added before every gRPC answer. */
  readonly latencyMs?: number;
  /**
   * Members (by name: the node name) cut off from their peers, as after a network partition: a
   * member alone in its part has no leader and commits nothing (see `leaderSeenBy`, `checkCommit`).
   * The lone voter of a one-member cluster is its own quorum: it keeps leading, but commits nothing,
   * as a member whose disk stalls.
   */
  readonly unhealthyMembers?: readonly string[];
  /** Alarms raised on every member for as long as the simulation says so (clients cannot disarm them). */
  readonly alarms?: readonly AlarmType[];
}

export class FakeEtcd {
  readonly clusterId: bigint;
  private readonly memberList: EtcdMember[] = [];
  private leaderId = 0n;
  private term = INITIAL_RAFT_TERM;
  private index = INITIAL_RAFT_INDEX;
  private revision = 1;
  private alarmList: EtcdAlarm[] = [];
  private keys?: Map<string, KeyValue>;
  private memberAdds = 0;
  private simulation: EtcdSimulation = {};
  /** The healthy voters are not a majority: no member has a leader (see settleLeadership). */
  private quorumLost = false;
  /** Called when a member leaves the cluster: a removed etcd exits, so its connections must close. */
  onMemberStopped?: (memberId: bigint) => void;

  constructor(readonly clusterName: string) {
    this.clusterId = idFrom(`cluster/${clusterName}`);
  }

  get members(): readonly EtcdMember[] {
    return this.memberList;
  }

  get leader(): EtcdMember | undefined {
    return this.memberList.find((m) => m.id === this.leaderId);
  }

  get raftTerm(): number {
    return this.term;
  }

  get alarms(): readonly EtcdAlarm[] {
    return this.activeAlarms();
  }

  /** Applies spec.simulation.etcd; an empty object ends every simulated problem. */
  setSimulation(sim: EtcdSimulation): void {
    for (const a of sim.alarms ?? []) if (!ALARM_TYPES.includes(a)) throw new Error(`etcd alarm "${String(a)}" is not one of ${ALARM_TYPES.join(', ')}`);
    if (sim.latencyMs !== undefined && !(sim.latencyMs >= 0)) throw new Error(`etcd latency must be a duration of 0 or more, not ${sim.latencyMs}`);
    this.simulation = { ...sim };
    this.settleLeadership();
  }

  /** Delay before each gRPC answer (0: none). */
  get latencyMs(): number {
    return this.simulation.latencyMs ?? 0;
  }

  /** A member the simulation cuts off from its peers. */
  isUnhealthy(memberId: bigint): boolean {
    const names = this.simulation.unhealthyMembers;
    if (!names?.length) return false;
    const m = this.member(memberId);
    return m !== undefined && names.includes(m.name);
  }

  /**
   * The leader as this member sees it (Status.leader): none for a member cut off from the others, and
   * none for any member while the quorum is lost; etcd's raft drops the leader of a member that stops
   * hearing from it (pre-vote) and makes a leader that cannot reach a majority step down (check-quorum).
   */
  leaderSeenBy(memberId: bigint): bigint {
    return this.isUnhealthy(memberId) && !this.isLoneVoter(memberId) ? 0n : this.leaderId;
  }

  /**
   * Throws what etcd answers when this member cannot complete a linearizable read (ReadIndex: Range,
   * MemberList with `linearizable`) or a raft proposal (Alarm, member changes): a read waits for a
   * leader's confirmation until etcd's request timeout; a member without a leader drops a proposal at
   * once; a stalled leader's proposal never commits. The fake answers at once with etcd's final word
   * rather than holding the call for etcd's 7 s request timeout.
   */
  checkCommit(memberId: bigint, kind: 'read' | 'proposal'): void {
    if (!this.quorumLost && !this.isUnhealthy(memberId)) return;
    if (kind === 'proposal' && this.leaderSeenBy(memberId) === 0n) throw ETCD_ERRORS.proposalDropped();
    throw ETCD_ERRORS.timedOut();
  }

  /** The only voting member, which is a quorum on its own. */
  private isLoneVoter(memberId: bigint): boolean {
    const voters = this.memberList.filter((m) => !m.isLearner);
    return voters.length === 1 && voters[0]!.id === memberId;
  }

  /**
   * Leadership while members are cut off: the healthy voters keep their leader, or elect one of
   * themselves (a new term), as long as they are a majority of the voters; otherwise the leader steps
   * down and no member has one until enough come back, which then elect one. Without unhealthy
   * members and with a leader in place this changes nothing.
   */
  private settleLeadership(): void {
    const voters = this.memberList.filter((m) => !m.isLearner);
    const healthy = voters.filter((m) => !this.isUnhealthy(m.id));
    this.quorumLost = voters.length > 1 && healthy.length * 2 <= voters.length;
    if (this.quorumLost) {
      this.leaderId = 0n;
      return;
    }
    const leader = this.member(this.leaderId);
    if (leader && !leader.isLearner && (voters.length === 1 || !this.isUnhealthy(leader.id))) return;
    const next = voters.length === 1 ? voters[0] : healthy[0];
    if (next) this.elect(next);
  }

  /** Raised alarms, the simulated ones (on every member) included. */
  private activeAlarms(): readonly EtcdAlarm[] {
    const simulated = this.simulation.alarms;
    if (!simulated?.length) return this.alarmList;
    const out = [...this.alarmList];
    for (const m of this.memberList) {
      for (const alarm of simulated) if (!out.some((a) => a.memberId === m.id && a.alarm === alarm)) out.push({ memberId: m.id, alarm });
    }
    return out;
  }

  member(id: bigint): EtcdMember | undefined {
    return this.memberList.find((m) => m.id === id);
  }

  memberByName(name: string): EtcdMember | undefined {
    return name ? this.memberList.find((m) => m.name === name) : undefined;
  }

  /**
   * A control-plane node's etcd joins (idempotent). A member added by
   * MemberAdd with this node's peer URL becomes this node's member, as when
   * kubeadm join starts etcd after adding it.
   */
  addMember(name: string, opts: { ip?: string } = {}): EtcdMember {
    if (!name) throw new Error('an etcd member needs a name (the node name)');
    const existing = this.memberByName(name);
    if (existing) return existing;
    const ip = opts.ip ?? DEFAULT_MEMBER_IP;
    const clientURLs = [`https://${hostInUrl(ip)}:${ETCD_CLIENT_PORT}`];
    const peerURL = `https://${hostInUrl(ip)}:${ETCD_PEER_PORT}`;
    const pending = opts.ip ? this.memberList.find((m) => !m.name && m.peerURLs.includes(peerURL)) : undefined;
    if (pending) {
      pending.name = name;
      pending.clientURLs = clientURLs;
      this.commit();
      return pending;
    }
    const member: EtcdMember = { id: this.uniqueId(`member/${this.clusterName}/${name}`), name, peerURLs: [peerURL], clientURLs, isLearner: false };
    this.memberList.push(member);
    if (!this.leaderId) this.leaderId = member.id;
    this.commit();
    this.settleLeadership();
    return member;
  }

  /** Removes the member with this name; false when there is none. */
  removeMemberByName(name: string): boolean {
    const m = this.memberByName(name);
    if (!m) return false;
    this.removeMember(m.id);
    return true;
  }

  /** Cluster.MemberRemove: the member leaves every view; a removed leader hands over to the next voter. */
  removeMember(id: bigint): readonly EtcdMember[] {
    const i = this.memberList.findIndex((m) => m.id === id);
    if (i < 0) throw ETCD_ERRORS.memberNotFound();
    this.memberList.splice(i, 1);
    this.alarmList = this.alarmList.filter((a) => a.memberId !== id);
    // A removed leader hands over: settleLeadership elects the next voter that can win.
    if (this.leaderId === id) this.leaderId = 0n;
    this.commit();
    this.settleLeadership();
    this.onMemberStopped?.(id);
    return this.memberList;
  }

  /** Cluster.MemberAdd: a member that has not started yet (no name, no client URLs). */
  memberAdd(peerURLs: readonly string[], isLearner: boolean): EtcdMember {
    if (!peerURLs.length || !peerURLs.every(isValidPeerUrl)) throw ETCD_ERRORS.memberBadUrls();
    if (this.memberList.some((m) => m.peerURLs.some((u) => peerURLs.includes(u)))) throw ETCD_ERRORS.peerUrlExists();
    const member: EtcdMember = { id: this.uniqueId(`member/${this.clusterName}/${peerURLs.join(',')}/${++this.memberAdds}`), name: '', peerURLs: [...peerURLs], clientURLs: [], isLearner };
    this.memberList.push(member);
    if (!this.leaderId && !isLearner && !this.quorumLost) this.leaderId = member.id;
    this.commit();
    this.settleLeadership();
    return member;
  }

  /** Cluster.MemberPromote: a learner becomes a voting member. */
  memberPromote(id: bigint): readonly EtcdMember[] {
    const m = this.member(id);
    if (!m) throw ETCD_ERRORS.memberNotFound();
    if (!m.isLearner) throw ETCD_ERRORS.memberNotLearner();
    m.isLearner = false;
    this.commit();
    this.settleLeadership();
    return this.memberList;
  }

  /** Maintenance.Status as answered by one member. */
  status(memberId: bigint): EtcdStatus {
    const member = this.member(memberId);
    if (!member) throw ETCD_ERRORS.stopped();
    const leader = this.leaderSeenBy(memberId);
    const errors = this.activeAlarms().map((a) => `memberID:${a.memberId} alarm:${a.alarm} `);
    if (!leader) errors.unshift('etcdserver: no leader');
    return {
      member,
      leader,
      raftTerm: this.term,
      raftIndex: this.index,
      revision: this.revision,
      version: ETCD_VERSION,
      dbSize: DB_SIZE_BYTES,
      dbSizeInUse: DB_SIZE_IN_USE_BYTES,
      errors,
    };
  }

  /**
   * Maintenance.MoveLeader: only the leader may hand over, and only to a voting member; a member cut
   * off from the leader never takes over, and etcd gives up the transfer.
   */
  moveLeader(fromMemberId: bigint, targetId: bigint): void {
    if (fromMemberId !== this.leaderSeenBy(fromMemberId)) throw ETCD_ERRORS.notLeader();
    const target = this.member(targetId);
    if (!target || target.isLearner) throw ETCD_ERRORS.badLeaderTransferee();
    if (target.id === this.leaderId) return;
    if (this.isUnhealthy(target.id)) throw ETCD_ERRORS.leaderTransferTimedOut();
    this.elect(target);
  }

  /** Programmatic leader change (what a real election after a failure would do). */
  electLeader(name: string): void {
    const m = this.memberByName(name);
    if (!m || m.isLearner) throw new Error(`no voting etcd member named "${name}" in cluster ${this.clusterName}`);
    if (this.leaderSeenBy(m.id) === 0n) throw new Error(`etcd member "${name}" of cluster ${this.clusterName} is cut off from the quorum and cannot be elected`);
    if (m.id !== this.leaderId) this.elect(m);
  }

  /** Maintenance.Alarm GET: every alarm, or those of one type. */
  listAlarms(type?: AlarmType): readonly EtcdAlarm[] {
    const alarms = this.activeAlarms();
    return type ? alarms.filter((a) => a.alarm === type) : alarms;
  }

  activateAlarm(memberId: bigint, alarm: AlarmType): EtcdAlarm {
    if (!this.member(memberId)) throw ETCD_ERRORS.memberNotFound();
    const existing = this.alarmList.find((a) => a.memberId === memberId && a.alarm === alarm);
    if (existing) return existing;
    const raised = { memberId, alarm };
    this.alarmList = [...this.alarmList, raised];
    this.commit();
    return raised;
  }

  /** Deactivates matching alarms (alarm undefined = all types of that member; memberId 0 = every member). */
  deactivateAlarm(memberId: bigint, alarm?: AlarmType): readonly EtcdAlarm[] {
    const matches = (a: EtcdAlarm): boolean => (memberId === 0n || a.memberId === memberId) && (!alarm || a.alarm === alarm);
    const removed = this.alarmList.filter(matches);
    if (removed.length) {
      this.alarmList = this.alarmList.filter((a) => !matches(a));
      this.commit();
    }
    return removed;
  }

  /** Sets a key (programmatic; the fake etcd serves no Put). */
  put(key: string | Buffer, value: string | Buffer): void {
    const k = Buffer.from(key);
    const id = k.toString('latin1');
    const prev = this.keys?.get(id);
    this.revision++;
    (this.keys ??= new Map()).set(id, {
      key: k,
      value: Buffer.from(value),
      createRevision: prev?.createRevision ?? this.revision,
      modRevision: this.revision,
      version: (prev?.version ?? 0) + 1,
    });
  }

  /** KV.Range over the tiny key space, with etcd's range_end rules ("\0" = every key from key on). */
  range(q: RangeQuery): { kvs: KeyValue[]; count: number; more: boolean; revision: number } {
    if (!q.key.length) throw ETCD_ERRORS.emptyKey();
    const from = q.key.toString('latin1');
    const end = q.rangeEnd?.length ? q.rangeEnd.toString('latin1') : undefined;
    const all = [...(this.keys?.values() ?? [])];
    const matching = all
      .filter((kv) => {
        const k = kv.key.toString('latin1');
        if (end === undefined) return k === from;
        return k >= from && (end === '\0' || k < end);
      })
      .sort((a, b) => Buffer.compare(a.key, b.key));
    const limit = q.limit && q.limit > 0 ? q.limit : matching.length;
    return { kvs: matching.slice(0, limit), count: matching.length, more: matching.length > limit, revision: this.revision };
  }

  get currentRevision(): number {
    return this.revision;
  }

  private elect(next: EtcdMember | undefined): void {
    this.leaderId = next?.id ?? 0n;
    this.term++;
    this.commit();
  }

  /** Every membership or alarm change is a raft entry. */
  private commit(): void {
    this.index++;
  }

  private uniqueId(seed: string): bigint {
    let id = idFrom(seed);
    while (id === 0n || this.member(id)) id = idFrom(`${seed}/${id}`);
    return id;
  }
}

/** etcd IDs are 64-bit hashes; ours are stable per cluster and member name. */
function idFrom(seed: string): bigint {
  return createHash('sha256').update(seed).digest().readBigUInt64BE(0);
}

function hostInUrl(ip: string): string {
  return ip.includes(':') ? `[${ip}]` : ip;
}

function isValidPeerUrl(u: string): boolean {
  try {
    const url = new URL(u);
    return (url.protocol === 'http:' || url.protocol === 'https:') && url.port !== '' && url.pathname === '/' && !url.search;
  } catch {
    return false;
  }
}
