import type { ServerErrorResponse } from '@grpc/grpc-js';

/**
 * gRPC status codes (grpc/doc/statuscodes.md): numbers, so raising an etcd
 * error does not load grpc-js (see grpc-runtime.ts).
 */
export const GRPC_STATUS = {
  UNKNOWN: 2,
  INVALID_ARGUMENT: 3,
  NOT_FOUND: 5,
  FAILED_PRECONDITION: 9,
  UNIMPLEMENTED: 12,
  INTERNAL: 13,
  UNAVAILABLE: 14,
} as const;
export type GrpcStatus = (typeof GRPC_STATUS)[keyof typeof GRPC_STATUS];

/**
 * etcd's gRPC errors (api/v3rpc/rpctypes). clientv3 recognises them by
 * their exact message, so the strings must match etcd's.
 */

export class EtcdError extends Error {
  constructor(
    readonly code: GrpcStatus,
    message: string,
  ) {
    super(message);
  }

  toServiceError(): ServerErrorResponse {
    // No metadata: grpc-js sends empty trailers for an error without any.
    return Object.assign(new Error(this.message), { code: this.code, details: this.message });
  }
}

export const ETCD_ERRORS = {
  memberNotFound: () => new EtcdError(GRPC_STATUS.NOT_FOUND, 'etcdserver: member not found'),
  notLeader: () => new EtcdError(GRPC_STATUS.FAILED_PRECONDITION, 'etcdserver: not leader'),
  badLeaderTransferee: () => new EtcdError(GRPC_STATUS.FAILED_PRECONDITION, 'etcdserver: bad leader transferee'),
  memberNotLearner: () => new EtcdError(GRPC_STATUS.FAILED_PRECONDITION, 'etcdserver: can only promote a learner member'),
  peerUrlExists: () => new EtcdError(GRPC_STATUS.FAILED_PRECONDITION, 'etcdserver: Peer URLs already exists'),
  memberBadUrls: () => new EtcdError(GRPC_STATUS.INVALID_ARGUMENT, 'etcdserver: given member URLs are invalid'),
  emptyKey: () => new EtcdError(GRPC_STATUS.INVALID_ARGUMENT, 'etcdserver: key is not provided'),
  stopped: () => new EtcdError(GRPC_STATUS.UNAVAILABLE, 'etcdserver: server stopped'),
  unhealthy: () => new EtcdError(GRPC_STATUS.UNAVAILABLE, 'etcdserver: unhealthy cluster'),
  timedOut: () => new EtcdError(GRPC_STATUS.UNAVAILABLE, 'etcdserver: request timed out'),
  noLeader: () => new EtcdError(GRPC_STATUS.UNAVAILABLE, 'etcdserver: no leader'),
  /** raft's ErrProposalDropped, which etcd passes on as it is (gRPC code Unknown): a member without a leader takes no proposal. */
  proposalDropped: () => new EtcdError(GRPC_STATUS.UNKNOWN, 'raft proposal dropped'),
  /** Not among etcd's gRPC errors either: code Unknown. */
  leaderTransferTimedOut: () => new EtcdError(GRPC_STATUS.UNKNOWN, 'etcdserver: request timed out, leader transfer took too long'),
} as const;

export function unimplemented(method: string): ServerErrorResponse {
  const message = `${method} is not implemented by the fake etcd of metal3-fkas (it serves Cluster member RPCs, Maintenance Status/Alarm/MoveLeader and KV Range)`;
  return Object.assign(new Error(message), { code: GRPC_STATUS.UNIMPLEMENTED, details: message });
}
