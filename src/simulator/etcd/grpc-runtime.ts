/**
 * @grpc/grpc-js and etcd's service definitions, loaded on first use.
 *
 * Loading them costs ~100 ms of start-up (grpc-js's modules, then protobufjs
 * parsing etcd's rpc.proto), and a process needs them only once a fake
 * cluster's etcd member is connected to. Everything else in etcd/ imports
 * grpc-js for types only, so the operator answers its first requests before
 * gRPC is read at all.
 */

export type Grpc = typeof import('@grpc/grpc-js');

let grpc: Promise<Grpc> | undefined;

/** The grpc-js module, imported once per process. */
export function loadGrpc(): Promise<Grpc> {
  return (grpc ??= import('@grpc/grpc-js'));
}
