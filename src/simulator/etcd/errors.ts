import { status, type ServiceError } from '@grpc/grpc-js';
import { Metadata } from '@grpc/grpc-js';

/**
 * etcd's gRPC errors (api/v3rpc/rpctypes). clientv3 recognises them by
 * their exact message, so the strings must match etcd's.
 */

export class EtcdError extends Error {
  constructor(
    readonly code: status,
    message: string,
  ) {
    super(message);
  }

  toServiceError(): ServiceError {
    return Object.assign(new Error(this.message), { code: this.code, details: this.message, metadata: new Metadata() });
  }
}

export const ETCD_ERRORS = {
  memberNotFound: () => new EtcdError(status.NOT_FOUND, 'etcdserver: member not found'),
  notLeader: () => new EtcdError(status.FAILED_PRECONDITION, 'etcdserver: not leader'),
  badLeaderTransferee: () => new EtcdError(status.FAILED_PRECONDITION, 'etcdserver: bad leader transferee'),
  memberNotLearner: () => new EtcdError(status.FAILED_PRECONDITION, 'etcdserver: can only promote a learner member'),
  peerUrlExists: () => new EtcdError(status.FAILED_PRECONDITION, 'etcdserver: Peer URLs already exists'),
  memberBadUrls: () => new EtcdError(status.INVALID_ARGUMENT, 'etcdserver: given member URLs are invalid'),
  emptyKey: () => new EtcdError(status.INVALID_ARGUMENT, 'etcdserver: key is not provided'),
  stopped: () => new EtcdError(status.UNAVAILABLE, 'etcdserver: server stopped'),
  unhealthy: () => new EtcdError(status.UNAVAILABLE, 'etcdserver: unhealthy cluster'),
  timedOut: () => new EtcdError(status.UNAVAILABLE, 'etcdserver: request timed out'),
  noLeader: () => new EtcdError(status.UNAVAILABLE, 'etcdserver: no leader'),
  /** raft's ErrProposalDropped, which etcd passes on as it is (gRPC code Unknown): a member without a leader takes no proposal. */
  proposalDropped: () => new EtcdError(status.UNKNOWN, 'raft proposal dropped'),
  /** Not among etcd's gRPC errors either: code Unknown. */
  leaderTransferTimedOut: () => new EtcdError(status.UNKNOWN, 'etcdserver: request timed out, leader transfer took too long'),
} as const;

export function unimplemented(method: string): ServiceError {
  const message = `${method} is not implemented by the fake etcd of metal3-fkas (it serves Cluster member RPCs, Maintenance Status/Alarm/MoveLeader and KV Range)`;
  return Object.assign(new Error(message), { code: status.UNIMPLEMENTED, details: message, metadata: new Metadata() });
}
