import http2, { type Http2SecureServer, type Http2ServerRequest, type Http2ServerResponse, type ServerHttp2Session } from 'node:http2';
import type { IncomingMessage, ServerResponse } from 'node:http';
import net from 'node:net';
import type { Duplex } from 'node:stream';
import tls, { type TLSSocket } from 'node:tls';
import { StatusError } from '../api/errors.js';
import type { Logger } from '../../telemetry/logger.js';
import { handleApiRequest } from './api-handler.js';
import type { ClusterView, Identity } from './cluster-view.js';
import { Exchange } from './exchange.js';
import { parseRequestInfo } from './request-info.js';
import { authorizeRequest } from '../auth/authorizer.js';
import { ConnectionBudget, IdleConnectionGuard, ListenerBudget, connectionLimits, type ConnectionLimits } from './connection-limits.js';
import { RecentlyUsed } from '../../util/recently-used.js';

/**
 * The network side of the simulator. Each fake cluster gets its own port
 * (a plain listening socket) and its own TLS identity (certificate, client
 * CA); every accepted and authenticated connection is then handed to ONE
 * shared HTTP/2 server (with HTTP/1.1 fallback for upgrades and old
 * clients), so per-cluster cost is a listening socket and its PEM text, not
 * a whole HTTP stack. The TLS server that holds a cluster's OpenSSL context
 * exists only while the cluster is among the most recently connected ones.
 */

export interface ServingTls {
  /** Serving certificate (and chain) in PEM. */
  readonly certPem: string;
  readonly keyPem: string;
  /** CA bundle that client certificates must chain to. */
  readonly clientCaPem: string;
}

const CLUSTER = Symbol('fkas.cluster');
const IDENTITY = Symbol('fkas.identity');
const IDLE_GUARD = Symbol('fkas.idleGuard');
/** Marks a stream that arrived through a port-forward tunnel: it holds no socket of its own. */
const TUNNELED = Symbol('fkas.tunneled');

interface TaggedSocket {
  [CLUSTER]?: ClusterView;
  [IDENTITY]?: Identity;
  [IDLE_GUARD]?: IdleConnectionGuard;
  [TUNNELED]?: true;
}

const ALPN_PROTOCOLS = ['h2', 'http/1.1'];
/**
 * TLS servers (OpenSSL contexts, ~26 KiB each) kept for the clusters most
 * recently connected to; the others are rebuilt on their next connection.
 * Large enough that a test's working set of clusters rarely rebuilds one.
 */
export const TLS_CONTEXTS_KEPT = 256;
/** After an HTTP/2 GOAWAY for idleness, the socket is destroyed if the client has not closed it by then. */
const GOAWAY_GRACE_MS = 5_000;

export class ClusterListener {
  private readonly sockets = new Set<TLSSocket>();
  private tls: ServingTls;
  /** Where to listen again after setAccepting(false). */
  private pausedHost?: string;

  constructor(
    readonly cluster: ClusterView,
    private readonly server: net.Server,
    readonly port: number,
    private readonly budget: ListenerBudget,
    tlsOptions: ServingTls,
    private readonly tlsServers: RecentlyUsed<ClusterListener, tls.Server>,
  ) {
    this.tls = tlsOptions;
  }

  get servingTls(): ServingTls {
    return this.tls;
  }

  /** Swaps certificates without dropping the port (CA rotation). Existing connections keep theirs. */
  rotate(tlsOptions: ServingTls): void {
    this.tls = tlsOptions;
    this.tlsServers.peek(this)?.setSecureContext(secureContextOptions(tlsOptions));
  }

  /** Stops accepting, and drops the connections of this cluster so clients see it gone. */
  async close(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    for (const s of this.sockets) s.destroy();
    this.tlsServers.forget(this);
    await closed;
  }

  /** Runs the TLS handshake and everything after on a raw connection (accepted here, or through a tunnel). */
  secure(stream: Duplex): void {
    this.tlsServers.get(this).emit('connection', stream);
  }

  /** Runs the TLS handshake and everything after on a stream that arrived through a tunnel. */
  acceptTunnel(stream: Duplex): void {
    (stream as Duplex & TaggedSocket)[TUNNELED] = true;
    this.secure(stream);
  }

  /** Called by the TLS server once a handshake finished. */
  track(socket: TLSSocket): void {
    this.sockets.add(socket);
    socket.once('close', () => this.sockets.delete(socket));
  }

  /**
   * spec.simulation.available: false closes the listening socket (new connections are refused, as by
   * a dead API server) and drops this cluster's connections; true listens again on the same host and
   * port. Resuming fails with EADDRINUSE if another process took the port meanwhile.
   */
  async setAccepting(accepting: boolean): Promise<void> {
    if (accepting === this.server.listening) return;
    if (!accepting) {
      this.pausedHost = (this.server.address() as { address: string }).address;
      await this.close();
      return;
    }
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(this.port, this.pausedHost, () => {
        this.server.off('error', reject);
        resolve();
      });
    });
  }

  /** Drops every open connection but keeps listening: what clients see when an apiserver restarts. */
  dropConnections(): void {
    for (const s of this.sockets) s.destroy();
  }

  /** Connections whose TLS handshake finished. */
  get connections(): number {
    return this.sockets.size;
  }

  /** Accepted connections, handshaking or not: what the connection caps count. */
  get acceptedConnections(): number {
    return this.budget.connections;
  }
}

function secureContextOptions(t: ServingTls): tls.SecureContextOptions {
  return { cert: t.certPem, key: t.keyPem, ca: t.clientCaPem };
}

export class ApiServerHost {
  private readonly shared: Http2SecureServer;
  private readonly budget: ConnectionBudget;
  private readonly tlsServers: RecentlyUsed<ClusterListener, tls.Server>;
  readonly limits: ConnectionLimits;

  constructor(
    private readonly log: Logger,
    limits: Partial<ConnectionLimits> = {},
    tlsContextsKept = TLS_CONTEXTS_KEPT,
  ) {
    this.limits = connectionLimits(limits);
    this.tlsServers = new RecentlyUsed(tlsContextsKept, (listener) => this.createTlsServer(listener));
    this.budget = new ConnectionBudget(this.limits, log);
    this.shared = http2.createSecureServer({ allowHTTP1: true });
    this.shared.on('request', (req: Http2ServerRequest | IncomingMessage, res: Http2ServerResponse | ServerResponse) => this.onRequest(req, res));
    this.shared.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => this.onUpgrade(req, socket, head));
    this.shared.on('sessionError', (err) => this.log.debug({ err }, 'http2 session error'));
    // An HTTP/2 session takes over its socket: the idle guard must close the session, not the socket.
    this.shared.on('session', (session: ServerHttp2Session) => {
      const guard = (session.socket as unknown as TaggedSocket)[IDLE_GUARD];
      if (guard) guard.session = session;
    });
  }

  /** Opens the listener of one fake cluster. Port 0 picks a free port. */
  async listen(cluster: ClusterView, host: string, port: number, tlsOptions: ServingTls): Promise<ClusterListener> {
    const server = net.createServer();
    const budget = new ListenerBudget(this.budget, this.log.child({ cluster: cluster.name }));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    server.on('error', (err) => this.log.error({ err, cluster: cluster.name }, 'listener error'));
    const address = server.address();
    const actualPort = typeof address === 'object' && address ? address.port : port;
    const listener = new ClusterListener(cluster, server, actualPort, budget, tlsOptions, this.tlsServers);
    // Counted before any TLS work, so a refused connection costs no context. Tunneled streams
    // are not counted: the port-forward connection carrying them already is.
    server.on('connection', (socket: net.Socket) => {
      if (budget.admit(socket)) listener.secure(socket);
    });
    return listener;
  }

  /** A cluster's TLS server: never listens itself, it is handed the connections its cluster accepted. */
  private createTlsServer(listener: ClusterListener): tls.Server {
    const cluster = listener.cluster;
    const server = tls.createServer({
      ...secureContextOptions(listener.servingTls),
      requestCert: true,
      // Unauthenticated clients still reach /healthz, /version and `/`; the handler answers 401 elsewhere.
      rejectUnauthorized: false,
      ALPNProtocols: ALPN_PROTOCOLS,
      handshakeTimeout: this.limits.handshakeTimeoutMs,
    });
    server.on('secureConnection', (socket: TLSSocket) => {
      listener.track(socket);
      const tagged = socket as TLSSocket & TaggedSocket;
      const guard = new IdleConnectionGuard(this.limits, () => closeIdle(socket, guard));
      tagged[IDLE_GUARD] = guard;
      socket.once('close', () => guard.dispose());
      tagged[CLUSTER] = cluster;
      const identity = certificateIdentity(socket);
      if (identity) tagged[IDENTITY] = identity;
      // The HTTP/1.1 fallback of the shared server keeps its per-server state on
      // `socket.server`: point it at the shared server that now owns the socket.
      (socket as TLSSocket & { server: unknown }).server = this.shared;
      this.shared.emit('secureConnection', socket);
    });
    // With a tlsClientError listener, Node leaves the socket open (even on a handshake timeout): close it here.
    server.on('tlsClientError', (err, socket) => {
      this.log.debug({ err: err.message, cluster: cluster.name }, 'TLS handshake failed');
      socket.destroy();
    });
    return server;
  }

  /** Clusters whose TLS context is built right now (the others build theirs on their next connection). */
  get tlsContexts(): number {
    return this.tlsServers.size;
  }

  /** Open connections of all listeners together. */
  get acceptedConnections(): number {
    return this.budget.connections;
  }

  private onRequest(req: Http2ServerRequest | IncomingMessage, res: Http2ServerResponse | ServerResponse): void {
    const socket = socketOf(req);
    const cluster = socket[CLUSTER];
    const ex = new Exchange(req, res);
    if (!cluster) {
      ex.sendError(new StatusError(503, 'ServiceUnavailable', 'this connection belongs to no fake cluster'));
      return;
    }
    const guard = socket[IDLE_GUARD];
    if (guard) {
      guard.requestStarted();
      res.once('close', () => guard.requestEnded());
    }
    const identity = bearerIdentity(req.headers.authorization, cluster) ?? socket[IDENTITY];
    void handleApiRequest(ex, cluster, identity, this.log);
  }

  private onUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    const tagged = req.socket as unknown as TaggedSocket;
    // Whatever happens next, the connection is no longer an idle HTTP connection: the tunnel (or its error) owns it.
    tagged[IDLE_GUARD]?.upgradedToTunnel();
    const cluster = tagged[CLUSTER];
    const identity = cluster ? (bearerIdentity(req.headers.authorization, cluster) ?? tagged[IDENTITY]) : undefined;
    const fail = (err: StatusError): void => writeUpgradeError(socket, err);
    if (!cluster) return fail(new StatusError(503, 'ServiceUnavailable', 'this connection belongs to no fake cluster'));
    const url = new URL(req.url ?? '/', 'https://fake.invalid');
    const info = parseRequestInfo(req.method ?? 'GET', url.pathname, url.searchParams);
    if (!info.isResource || info.resource !== 'pods' || info.subresource !== 'portforward' || !info.namespace || !info.name) {
      return fail(new StatusError(400, 'BadRequest', `connection upgrades are only served for pods/portforward, not ${url.pathname}`));
    }
    // The same RBAC decision as any request: an unknown token is 401, anonymous or unbound users 403.
    try {
      authorizeRequest(cluster.resources.store, identity, req.headers.authorization !== undefined, req.method ?? 'GET', info, url.searchParams);
    } catch (err) {
      if (err instanceof StatusError) return fail(err);
      throw err;
    }
    if (!cluster.portForward) return fail(new StatusError(501, 'InternalError', 'port-forward is not enabled on this fake cluster'));
    const podKind = cluster.registry.byResource('', 'v1', 'pods')!;
    if (!cluster.resources.find(podKind, info.namespace, info.name)) {
      return fail(new StatusError(404, 'NotFound', `pods "${info.name}" not found`, { name: info.name, kind: 'pods' }));
    }
    try {
      cluster.portForward(req, socket, head, info.namespace, info.name);
    } catch (err) {
      this.log.error({ err, cluster: cluster.name }, 'port-forward failed');
      socket.destroy();
    }
  }
}

/** Closes a connection that stayed idle: HTTP/2 gets a GOAWAY first so clients do not retry into a reset. */
function closeIdle(socket: TLSSocket, guard: IdleConnectionGuard): void {
  const session = guard.session;
  if (session && !session.closed && !session.destroyed) {
    session.close();
    // A client that never reads would keep the GOAWAY (and the socket) pending: the grace period ends that.
    setTimeout(() => socket.destroy(), GOAWAY_GRACE_MS).unref();
    return;
  }
  socket.destroy();
}

function socketOf(req: Http2ServerRequest | IncomingMessage): TaggedSocket {
  // For HTTP/2 this is the session's socket proxy; symbol properties pass through to the TLS socket.
  return req.socket as unknown as TaggedSocket;
}

/** Kubernetes maps a client certificate to user = CN and groups = O. */
function certificateIdentity(socket: TLSSocket): Identity | undefined {
  if (!socket.authorized) return undefined;
  const cert = socket.getPeerCertificate();
  if (!cert || !cert.subject) return undefined;
  const cn = cert.subject.CN;
  const o = cert.subject.O as string | string[] | undefined;
  const user = Array.isArray(cn) ? cn[0] : cn;
  if (!user) return undefined;
  return { user, groups: o === undefined ? [] : Array.isArray(o) ? o : [o] };
}

function bearerIdentity(header: string | undefined, cluster: ClusterView): Identity | undefined {
  if (!header || !cluster.tokens) return undefined;
  const m = /^Bearer\s+(\S+)$/i.exec(header);
  return m ? cluster.tokens.get(m[1]!) : undefined;
}

export function writeUpgradeError(socket: Duplex, err: StatusError): void {
  const body = JSON.stringify(err.toStatus());
  const reason = { 400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found', 501: 'Not Implemented', 503: 'Service Unavailable' }[err.code] ?? 'Error';
  socket.end(
    `HTTP/1.1 ${err.code} ${reason}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  );
}
