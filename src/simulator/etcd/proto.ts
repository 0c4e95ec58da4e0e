import { createRequire } from 'node:module';
import type { GrpcObject, ServiceDefinition } from '@grpc/grpc-js';
import type { PackageDefinition } from '@grpc/proto-loader';
import { loadGrpc } from './grpc-runtime.js';

/**
 * etcd's v3 API definitions. The `etcd3` npm package ships etcd's
 * rpc.proto, kv.proto and auth.proto (Apache-2.0, from go.etcd.io/etcd);
 * we load them from there rather than keeping a copy. Loaded once per
 * process, on first use (with grpc-js, see grpc-runtime.ts), and shared by
 * every fake cluster.
 */

/** How messages look in JavaScript: etcd's field names, 64-bit integers as decimal strings, enums as numbers (the etcd3 copy renames etcd's enum values). */
const LOADER_OPTIONS = { keepCase: true, longs: String, defaults: true, oneofs: true } as const;
export const ETCD_PACKAGE = 'etcdserverpb';
export const ETCD_SERVICES = ['KV', 'Watch', 'Lease', 'Cluster', 'Maintenance', 'Auth'] as const;
export type EtcdServiceName = (typeof ETCD_SERVICES)[number];

let etcdPackage: Promise<GrpcObject> | undefined;

export function etcdProtoPath(): string {
  return createRequire(import.meta.url).resolve('etcd3/proto/rpc.proto');
}

/** etcd's gRPC package: service definitions and client constructors, parsed once. */
export function loadEtcdPackage(): Promise<GrpcObject> {
  return (etcdPackage ??= (async () => {
    const [grpc, protoLoader] = await Promise.all([loadGrpc(), import('@grpc/proto-loader')]);
    const definition: PackageDefinition = protoLoader.loadSync(etcdProtoPath(), LOADER_OPTIONS);
    return grpc.loadPackageDefinition(definition)[ETCD_PACKAGE] as GrpcObject;
  })());
}

/** The service definition of one etcd service, for grpc.Server.addService. */
export function etcdService(pkg: GrpcObject, name: EtcdServiceName): ServiceDefinition {
  return (pkg[name] as { service: ServiceDefinition }).service;
}

/** Client constructors (tests and benchmarks call the fake etcd with them). */
export function etcdClients(): Promise<GrpcObject> {
  return loadEtcdPackage();
}
