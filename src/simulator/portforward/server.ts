import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { createWebSocketStream, WebSocketServer, type WebSocket } from 'ws';
import { StatusError } from '../api/errors.js';
import { writeUpgradeError } from '../http/listener.js';
import type { Logger } from '../../telemetry/logger.js';
import { serveChannelTunnel, type Tunnel } from './channel-tunnel.js';
import {
  CHANNEL_V4_PROTOCOL,
  PORT_FORWARD_PROTOCOL_V1,
  SPDY_OVER_WEBSOCKET_PROTOCOL,
  SPDY_UPGRADE,
  STREAM_PROTOCOL_VERSION_HEADER,
} from './protocol.js';
import { serveSpdy } from './spdy-server.js';
import { PortForwardStreams, type PodEndpoint } from './stream-pairs.js';

/**
 * Serves pods/portforward upgrades, in the three forms clients use:
 * - WebSocket with subprotocol `SPDY/3.1+portforward.k8s.io` (kubectl >= 1.31
 *   first tries this; kube-apiserver unwraps it and speaks SPDY to kubelet);
 * - classic `Upgrade: SPDY/3.1` (client-go, CAPI's dialer, kubectl's fallback);
 * - WebSocket with `v4.channel.k8s.io` (@kubernetes/client-node).
 * The cluster API layer has already authenticated the request and checked
 * that the pod exists.
 */

/** Where the tunnel of one request leads: resolved per request by the owner of the cluster. */
export type EndpointResolver<C> = (cluster: C, namespace: string, pod: string) => PodEndpoint;

export class PortForwardServer<C> {
  private readonly wss = new WebSocketServer({ noServer: true, clientTracking: false, perMessageDeflate: false });
  /** The subprotocol chosen for each WebSocket handshake in flight (ws cannot parse ours: it has a `/`). */
  private readonly chosenProtocol = new WeakMap<IncomingMessage, string>();
  private readonly tunnels = new Set<Tunnel>();

  constructor(
    private readonly endpointFor: EndpointResolver<C>,
    private readonly log: Logger,
  ) {
    this.wss.on('headers', (headers: string[], req: IncomingMessage) => {
      const protocol = this.chosenProtocol.get(req);
      if (protocol) headers.push(`Sec-WebSocket-Protocol: ${protocol}`);
    });
  }

  /** Tunnels currently open (for leak checks and benchmarks). */
  get openTunnels(): number {
    return this.tunnels.size;
  }

  handle(cluster: C, req: IncomingMessage, socket: Duplex, head: Buffer, namespace: string, pod: string): void {
    // Tunnels carry many small frames (SYN_REPLY, short gRPC messages): do not let Nagle hold them.
    (socket as Duplex & { setNoDelay?: (noDelay: boolean) => void }).setNoDelay?.(true);
    const upgrade = (req.headers.upgrade ?? '').toLowerCase();
    if (upgrade === 'websocket') return this.upgradeWebSocket(cluster, req, socket, head, namespace, pod);
    if (upgrade === SPDY_UPGRADE.toLowerCase()) return this.upgradeSpdy(cluster, req, socket, head, namespace, pod);
    writeUpgradeError(socket, new StatusError(400, 'BadRequest', `unable to upgrade: "${req.headers.upgrade ?? ''}" is not websocket or ${SPDY_UPGRADE}`));
  }

  /** Closes every open tunnel (simulator shutdown). */
  close(): void {
    for (const t of this.tunnels) t.destroy();
    this.tunnels.clear();
  }

  private upgradeSpdy(cluster: C, req: IncomingMessage, socket: Duplex, head: Buffer, namespace: string, pod: string): void {
    const offered = headerList(req.headers[STREAM_PROTOCOL_VERSION_HEADER.toLowerCase()]);
    // Like httpstream.Handshake: no versions offered is an old client and is accepted.
    if (offered.length && !offered.includes(PORT_FORWARD_PROTOCOL_V1)) {
      writeUpgradeError(
        socket,
        new StatusError(403, 'Forbidden', `unable to upgrade: unable to negotiate protocol: client supports [${offered.join(' ')}], server accepts [${PORT_FORWARD_PROTOCOL_V1}]`),
      );
      return;
    }
    socket.write(
      'HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\n' +
        `Upgrade: ${SPDY_UPGRADE}\r\n` +
        (offered.length ? `${STREAM_PROTOCOL_VERSION_HEADER}: ${PORT_FORWARD_PROTOCOL_V1}\r\n` : '') +
        '\r\n',
    );
    if (head.length) socket.unshift(head);
    this.serveSpdyTunnel(socket, this.endpointFor(cluster, namespace, pod));
  }

  private upgradeWebSocket(cluster: C, req: IncomingMessage, socket: Duplex, head: Buffer, namespace: string, pod: string): void {
    const offered = headerList(req.headers['sec-websocket-protocol']);
    const protocol = [SPDY_OVER_WEBSOCKET_PROTOCOL, CHANNEL_V4_PROTOCOL].find((p) => offered.includes(p));
    if (!protocol) {
      writeUpgradeError(
        socket,
        new StatusError(400, 'BadRequest', `unable to upgrade: none of the WebSocket subprotocols [${offered.join(', ')}] is served; use ${SPDY_OVER_WEBSOCKET_PROTOCOL} or ${CHANNEL_V4_PROTOCOL}`),
      );
      return;
    }
    let ports: number[] = [];
    if (protocol === CHANNEL_V4_PROTOCOL) {
      const parsed = channelPorts(req.url ?? '');
      if (typeof parsed === 'string') return writeUpgradeError(socket, new StatusError(400, 'BadRequest', parsed));
      ports = parsed;
    }
    this.chosenProtocol.set(req, protocol);
    delete req.headers['sec-websocket-protocol'];
    this.wss.handleUpgrade(req, socket, head, (ws: WebSocket) => {
      const endpoint = this.endpointFor(cluster, namespace, pod);
      if (protocol === CHANNEL_V4_PROTOCOL) {
        this.track(serveChannelTunnel(ws, ports, endpoint, this.log));
        return;
      }
      this.serveSpdyTunnel(createWebSocketStream(ws), endpoint);
    });
  }

  private serveSpdyTunnel(transport: Duplex, endpoint: PodEndpoint): void {
    const streams = new PortForwardStreams(endpoint, this.log.child({ pod: endpoint.pod }));
    this.track(transport);
    const connection = serveSpdy(transport, (s) => streams.accept(s), this.log);
    connection.on('close', () => {
      streams.close();
      transport.destroy();
    });
    transport.once('close', () => streams.close());
  }

  private track(tunnel: Tunnel): void {
    this.tunnels.add(tunnel);
    tunnel.once('close', () => this.tunnels.delete(tunnel));
  }
}

/** A header that may repeat or hold a comma-separated list. */
function headerList(value: string | string[] | undefined): string[] {
  if (value === undefined) return [];
  return (Array.isArray(value) ? value : [value]).flatMap((v) => v.split(',')).map((v) => v.trim()).filter(Boolean);
}

/** The `ports` query parameters of a channel port-forward, as kubelet's NewV4Options reads them. */
function channelPorts(url: string): number[] | string {
  const params = new URL(url, 'https://fake.invalid').searchParams;
  const values = params.getAll('ports').flatMap((v) => v.split(','));
  if (!values.length) return 'at least one port must be specified';
  const ports: number[] = [];
  for (const v of values) {
    const port = /^\d+$/.test(v.trim()) ? Number(v.trim()) : NaN;
    if (!Number.isInteger(port) || port < 1 || port > 65_535) return `unable to parse "${v}" as a port: ports must be 1-65535`;
    ports.push(port);
  }
  return ports;
}
