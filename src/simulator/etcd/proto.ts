import { createRequire } from 'node:module';
import { loadPackageDefinition, type GrpcObject, type ServiceDefinition } from '@grpc/grpc-js';
import { loadSync, type PackageDefinition } from '@grpc/proto-loader';

/**
 * etcd's v3 API definitions. The `etcd3` npm package ships etcd's
 * rpc.proto, kv.proto and auth.proto (Apache-2.0, from go.etcd.io/etcd);
 * we load them from there rather than keeping a copy. Loaded once per
 * process, on first use, and shared by every fake cluster.
 */

/** How messages look in JavaScript: etcd's field names, 64-bit integers as decimal strings, enums as numbers (the etcd3 copy renames etcd's enum values). */
const LOADER_OPTIONS = { keepCase: true, longs: String, defaults: true, oneofs: true } as const;
export const ETCD_PACKAGE = 'etcdserverpb';
export const ETCD_SERVICES = ['KV', 'Watch', 'Lease', 'Cluster', 'Maintenance', 'Auth'] as const;
export type EtcdServiceName = (typeof ETCD_SERVICES)[number];

let definition: PackageDefinition | undefined;

export function etcdProtoPath(): string {
  return createRequire(import.meta.url).resolve('etcd3/proto/rpc.proto');
}

export function etcdPackageDefinition(): PackageDefinition {
  return (definition ??= loadSync(etcdProtoPath(), LOADER_OPTIONS));
}

/** The service definition of one etcd service, for grpc.Server.addService. */
export function etcdService(name: EtcdServiceName): ServiceDefinition {
  const pkg = loadPackageDefinition(etcdPackageDefinition())[ETCD_PACKAGE] as GrpcObject;
  const ctor = pkg[name] as { service: ServiceDefinition };
  return ctor.service;
}

/** Client constructors (tests and benchmarks call the fake etcd with them). */
export function etcdClients(): GrpcObject {
  return loadPackageDefinition(etcdPackageDefinition())[ETCD_PACKAGE] as GrpcObject;
}
