import { ALARM_TYPES, type AlarmType, type EtcdAlarm, type EtcdMember, type FakeEtcd, type KeyValue } from './fake-etcd.js';

/**
 * etcd v3 RPCs → FakeEtcd, in the shapes proto-loader encodes: etcd's field
 * names, 64-bit integers as decimal strings, enums as numbers, bytes as
 * Buffers. Each handler answers as the member the connection reached:
 * what needs the quorum (a linearizable read, a raft proposal) fails on a
 * member that cannot reach it (FakeEtcd.checkCommit), Status never does.
 */

export interface EtcdCallContext {
  readonly etcd: FakeEtcd;
  /** The member whose etcd-<node> pod the tunnel reached. */
  readonly memberId: bigint;
}

type Message = Record<string, unknown>;
export type EtcdHandler = (ctx: EtcdCallContext, request: Message) => Message;

/** etcdserverpb.AlarmRequest.AlarmAction */
const ALARM_ACTION = { get: 0, activate: 1, deactivate: 2 } as const;
/** etcdserverpb.AlarmType: NONE = 0, then NOSPACE, CORRUPT. */
const ALARM_NONE = 0;

export const ETCD_HANDLERS: Readonly<Record<string, EtcdHandler>> = {
  'Cluster/MemberList': (ctx, req) => {
    // etcd's 3.6 client asks for a linearizable list by default; a request without the field gets the member's own view.
    if (req.linearizable === true) ctx.etcd.checkCommit(ctx.memberId, 'read');
    return { header: header(ctx), members: ctx.etcd.members.map(member) };
  },
  'Cluster/MemberAdd': (ctx, req) => {
    ctx.etcd.checkCommit(ctx.memberId, 'proposal');
    const added = ctx.etcd.memberAdd(strings(req.peerURLs), req.isLearner === true);
    return { header: header(ctx), member: member(added), members: ctx.etcd.members.map(member) };
  },
  'Cluster/MemberRemove': (ctx, req) => {
    ctx.etcd.checkCommit(ctx.memberId, 'proposal');
    const members = ctx.etcd.removeMember(id(req.ID));
    return { header: header(ctx), members: members.map(member) };
  },
  'Cluster/MemberPromote': (ctx, req) => {
    ctx.etcd.checkCommit(ctx.memberId, 'proposal');
    return { header: header(ctx), members: ctx.etcd.memberPromote(id(req.ID)).map(member) };
  },
  'Maintenance/Status': (ctx) => {
    const s = ctx.etcd.status(ctx.memberId);
    return {
      header: header(ctx),
      version: s.version,
      dbSize: String(s.dbSize),
      leader: String(s.leader),
      raftIndex: String(s.raftIndex),
      raftTerm: String(s.raftTerm),
      raftAppliedIndex: String(s.raftIndex),
      errors: s.errors,
      dbSizeInUse: String(s.dbSizeInUse),
      isLearner: s.member.isLearner,
    };
  },
  'Maintenance/Alarm': (ctx, req) => {
    // Every alarm request, a list included, goes through raft.
    ctx.etcd.checkCommit(ctx.memberId, 'proposal');
    const type = alarmType(req.alarm);
    const memberId = id(req.memberID);
    let alarms: readonly EtcdAlarm[];
    switch (req.action) {
      case ALARM_ACTION.activate:
        alarms = type ? [ctx.etcd.activateAlarm(memberId, type)] : [];
        break;
      case ALARM_ACTION.deactivate:
        alarms = ctx.etcd.deactivateAlarm(memberId, type);
        break;
      default:
        alarms = ctx.etcd.listAlarms(type);
    }
    return { header: header(ctx), alarms: alarms.map((a) => ({ memberID: String(a.memberId), alarm: ALARM_TYPES.indexOf(a.alarm) + 1 })) };
  },
  'Maintenance/MoveLeader': (ctx, req) => {
    ctx.etcd.moveLeader(ctx.memberId, id(req.targetID));
    return { header: header(ctx) };
  },
  'KV/Range': (ctx, req) => {
    // A serializable read is the member's own answer; the default, linearizable, needs the leader.
    if (req.serializable !== true) ctx.etcd.checkCommit(ctx.memberId, 'read');
    const r = ctx.etcd.range({
      key: bytes(req.key),
      rangeEnd: bytes(req.range_end),
      limit: Number(req.limit ?? 0),
    });
    const keysOnly = req.keys_only === true;
    return {
      header: header(ctx),
      kvs: req.count_only === true ? [] : r.kvs.map((kv) => keyValue(kv, keysOnly)),
      more: r.more,
      count: String(r.count),
    };
  },
};

function header(ctx: EtcdCallContext): Message {
  return {
    cluster_id: String(ctx.etcd.clusterId),
    member_id: String(ctx.memberId),
    revision: String(ctx.etcd.currentRevision),
    raft_term: String(ctx.etcd.raftTerm),
  };
}

function member(m: EtcdMember): Message {
  return { ID: String(m.id), name: m.name, peerURLs: [...m.peerURLs], clientURLs: [...m.clientURLs], isLearner: m.isLearner };
}

function keyValue(kv: KeyValue, keysOnly: boolean): Message {
  return {
    key: kv.key,
    create_revision: String(kv.createRevision),
    mod_revision: String(kv.modRevision),
    version: String(kv.version),
    value: keysOnly ? Buffer.alloc(0) : kv.value,
    lease: '0',
  };
}

function id(value: unknown): bigint {
  try {
    return BigInt(typeof value === 'string' || typeof value === 'number' ? value : 0);
  } catch {
    return 0n;
  }
}

function alarmType(value: unknown): AlarmType | undefined {
  return typeof value === 'number' && value !== ALARM_NONE ? ALARM_TYPES[value - 1] : undefined;
}

function strings(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
}

function bytes(value: unknown): Buffer {
  return Buffer.isBuffer(value) ? value : Buffer.alloc(0);
}
