import type { Server, ServerUnaryCall, sendUnaryData, ServiceDefinition, UntypedServiceImplementation } from '@grpc/grpc-js';
import type { TLSSocket } from 'node:tls';
import type { Logger } from '../../telemetry/logger.js';
import { EtcdError, ETCD_ERRORS, GRPC_STATUS, unimplemented } from './errors.js';
import type { FakeEtcd } from './fake-etcd.js';
import { etcdService, ETCD_PACKAGE, ETCD_SERVICES, loadEtcdPackage } from './proto.js';
import { loadGrpc } from './grpc-runtime.js';
import { ETCD_HANDLERS, type EtcdCallContext } from './rpc-handlers.js';

/**
 * ONE gRPC server for the fake etcd of every cluster in the process, fed
 * through @grpc/grpc-js's connection injector: an authorised TLS socket
 * (see member-tls.ts) is injected as a plaintext HTTP/2 connection, so no
 * port is opened and no per-cluster server exists.
 *
 * A handler learns which cluster and member a call is for from the
 * connection's peer address: grpc-js reports `socket.remoteAddress` as the
 * call's peer, and a tunnelled socket has none, so we give each injected
 * socket a unique token there and map the token to its member.
 *
 * The server is made when the first member connection arrives: that is when
 * grpc-js is loaded (grpc-runtime.ts). Until then the TLS socket buffers what
 * the client sends.
 */

interface Connection extends EtcdCallContext {
  readonly socket: TLSSocket;
}

const PEER_PREFIX = 'fkas-etcd-tunnel-';
/** etcd's rpctypes.MetadataRequireLeaderKey and MetadataHasLeader. */
const REQUIRE_LEADER_KEY = 'hasleader';
const HAS_LEADER = 'true';
/** A removed etcd exits right after answering: its connections close once the reply is flushed. */
const MEMBER_EXIT_DELAY_MS = 50;

type Injector = ReturnType<Server['createConnectionInjector']>;

interface Running {
  readonly server: Server;
  readonly injector: Injector;
}

export class EtcdGrpcHost {
  private running?: Promise<Running>;
  private readonly connections = new Map<string, Connection>();
  private nextToken = 0;

  constructor(private readonly log: Logger) {}

  /** Serves gRPC on a TLS socket whose client certificate the member's CA has verified. */
  serve(socket: TLSSocket, etcd: FakeEtcd, memberId: bigint): void {
    const token = `${PEER_PREFIX}${++this.nextToken}`;
    Object.defineProperty(socket, 'remoteAddress', { value: token, configurable: true });
    Object.defineProperty(socket, 'remotePort', { value: 0, configurable: true });
    this.connections.set(token, { socket, etcd, memberId });
    socket.once('close', () => this.connections.delete(token));
    // An HTTP/2 client never half-closes: end of input means it is gone (grpc-go closes too).
    socket.once('end', () => socket.end());
    socket.on('error', (err) => this.log.debug({ err: err.message }, 'etcd connection error'));
    this.start().then(
      ({ injector }) => {
        if (!socket.destroyed) injector.injectConnection(socket);
      },
      (err: unknown) => {
        this.log.error({ err }, 'the fake etcd cannot serve: @grpc/grpc-js failed to load (reinstall dependencies: npm ci)');
        socket.destroy();
      },
    );
  }

  /** Closes the connections of a member that left its cluster. */
  stopMember(etcd: FakeEtcd, memberId: bigint): void {
    const sockets = [...this.connections.values()].filter((c) => c.etcd === etcd && c.memberId === memberId).map((c) => c.socket);
    if (!sockets.length) return;
    setTimeout(() => {
      for (const s of sockets) s.destroy();
    }, MEMBER_EXIT_DELAY_MS).unref();
  }

  /** Closes every connection of a cluster's etcd (the cluster is closing). */
  stopCluster(etcd: FakeEtcd): void {
    for (const c of this.connections.values()) if (c.etcd === etcd) c.socket.destroy();
  }

  get openConnections(): number {
    return this.connections.size;
  }

  close(): void {
    for (const c of this.connections.values()) c.socket.destroy();
    this.connections.clear();
    const running = this.running;
    this.running = undefined;
    void running?.then(
      ({ server, injector }) => {
        injector.destroy();
        server.forceShutdown();
      },
      () => undefined,
    );
  }

  private start(): Promise<Running> {
    return (this.running ??= (async () => {
      const [grpc, pkg] = await Promise.all([loadGrpc(), loadEtcdPackage()]);
      const server = new grpc.Server();
      for (const name of ETCD_SERVICES) {
        const definition = etcdService(pkg, name);
        server.addService(definition, this.implementation(name, definition));
      }
      return { server, injector: server.createConnectionInjector(grpc.ServerCredentials.createInsecure()) };
    })());
  }

  private implementation(service: string, definition: ServiceDefinition): UntypedServiceImplementation {
    const impl: UntypedServiceImplementation = {};
    for (const [method, def] of Object.entries(definition)) {
      const path = `${ETCD_PACKAGE}.${service}/${method}`;
      const handler = ETCD_HANDLERS[`${service}/${method}`];
      if (def.requestStream || def.responseStream) {
        impl[method] = (call: NodeJS.EventEmitter) => call.emit('error', unimplemented(path));
        continue;
      }
      impl[method] = (call: ServerUnaryCall<unknown, unknown>, callback: sendUnaryData<unknown>) => {
        if (!handler) return callback(unimplemented(path));
        const ctx = this.connections.get(call.getPeer());
        if (!ctx) return callback(ETCD_ERRORS.stopped().toServiceError());
        const answer = (): void => {
          // clientv3.WithRequireLeader: etcd refuses the call at once on a member without a leader.
          if (call.metadata.get(REQUIRE_LEADER_KEY)[0] === HAS_LEADER && !ctx.etcd.leaderSeenBy(ctx.memberId)) return callback(ETCD_ERRORS.noLeader().toServiceError());
          try {
            callback(null, handler(ctx, call.request as Record<string, unknown>));
          } catch (err) {
            if (err instanceof EtcdError) return callback(err.toServiceError());
            this.log.error({ err, method: path }, 'fake etcd handler failed');
            callback(new EtcdError(GRPC_STATUS.INTERNAL, `fake etcd failed: ${(err as Error).message}`).toServiceError());
          }
        };
        // spec.simulation.etcd.latency: one timer per delayed call, none otherwise.
        const delay = ctx.etcd.latencyMs;
        if (delay > 0) setTimeout(answer, delay);
        else answer();
      };
    }
    return impl;
  }
}
