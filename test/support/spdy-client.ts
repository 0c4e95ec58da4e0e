import tls, { type TLSSocket } from 'node:tls';
import type { Duplex } from 'node:stream';
import transport, { type SpdyConnection, type SpdyStream } from 'spdy-transport';

/**
 * A port-forward client that opens tunnels the way client-go does:
 * `POST .../pods/<pod>/portforward` with `Upgrade: SPDY/3.1` and
 * `X-Stream-Protocol-Version: portforward.k8s.io`, then for each forwarded
 * connection an `error` stream (whose write side it closes at once) and a
 * `data` stream with the same requestID.
 */

export interface TlsClientOptions {
  readonly host: string;
  readonly port: number;
  readonly ca: string;
  readonly cert?: string;
  readonly key?: string;
}

export interface UpgradeResponse {
  readonly status: number;
  readonly headers: Record<string, string>;
  readonly body: string;
  readonly socket: TLSSocket;
}

const SPDY_VERSION = 3;

/** Sends an HTTP/1.1 upgrade request and reads the response head (and, for a refusal, its body). */
export async function sendUpgrade(opts: TlsClientOptions, method: string, path: string, headers: Record<string, string>): Promise<UpgradeResponse> {
  const socket = tls.connect({ host: opts.host, port: opts.port, ca: opts.ca, cert: opts.cert, key: opts.key, ALPNProtocols: ['http/1.1'], servername: 'localhost' });
  socket.setNoDelay(true); // as Go clients do; otherwise small SPDY frames wait on delayed ACKs
  await new Promise<void>((resolve, reject) => {
    socket.once('secureConnect', resolve);
    socket.once('error', reject);
  });
  const lines = [`${method} ${path} HTTP/1.1`, `Host: ${opts.host}:${opts.port}`, ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`), 'Content-Length: 0'];
  socket.write(`${lines.join('\r\n')}\r\n\r\n`);
  let buffered = Buffer.alloc(0);
  const head = await new Promise<string>((resolve, reject) => {
    const onData = (d: Buffer): void => {
      buffered = Buffer.concat([buffered, d]);
      const end = buffered.indexOf('\r\n\r\n');
      if (end < 0) return;
      socket.off('data', onData);
      socket.pause();
      const rest = buffered.subarray(end + 4);
      if (rest.length) socket.unshift(rest);
      resolve(buffered.subarray(0, end).toString());
    };
    socket.on('data', onData);
    socket.once('error', reject);
    socket.once('end', () => reject(new Error(`connection closed before a response: ${buffered.toString()}`)));
  });
  const [statusLine = '', ...headerLines] = head.split('\r\n');
  const status = Number(statusLine.split(' ')[1]);
  const parsed: Record<string, string> = {};
  for (const l of headerLines) {
    const i = l.indexOf(':');
    parsed[l.slice(0, i).toLowerCase()] = l.slice(i + 1).trim();
  }
  let body = '';
  if (status !== 101) {
    socket.resume();
    body = await new Promise<string>((resolve) => {
      let b = '';
      socket.on('data', (d: Buffer) => (b += d.toString()));
      socket.once('close', () => resolve(b));
    });
  }
  return { status, headers: parsed, body, socket };
}

export interface ForwardedConnection {
  readonly data: SpdyStream;
  readonly error: SpdyStream;
  /** Everything the server wrote on the error stream, once it is closed. */
  readonly errorText: Promise<string>;
}

export class SpdyPortForwardTunnel {
  private nextRequestId = 0;

  private constructor(
    readonly socket: TLSSocket,
    readonly connection: SpdyConnection,
  ) {}

  static async open(opts: TlsClientOptions, namespace: string, pod: string): Promise<SpdyPortForwardTunnel> {
    const res = await sendUpgrade(opts, 'POST', `/api/v1/namespaces/${namespace}/pods/${pod}/portforward`, {
      Connection: 'Upgrade',
      Upgrade: 'SPDY/3.1',
      'X-Stream-Protocol-Version': 'portforward.k8s.io',
    });
    if (res.status !== 101) {
      res.socket.destroy();
      throw Object.assign(new Error(`port-forward upgrade refused: ${res.status} ${res.body}`), { status: res.status, body: res.body });
    }
    const connection = transport.connection.create(res.socket, { protocol: 'spdy', isServer: false });
    connection.on('error', () => res.socket.destroy());
    connection.start(SPDY_VERSION);
    return new SpdyPortForwardTunnel(res.socket, connection);
  }

  /** Opens one forwarded connection to a pod port, as client-go's handleConnection does. */
  forward(port: number | string, headerOverrides: Record<string, string> = {}): ForwardedConnection {
    const requestid = String(this.nextRequestId++);
    const error = this.stream({ streamtype: 'error', port: String(port), requestid, ...headerOverrides });
    error.end(); // client-go closes its side of the error stream at once
    const errorText = readAll(error);
    const data = this.stream({ streamtype: 'data', port: String(port), requestid, ...headerOverrides });
    return { data, error, errorText };
  }

  /** Opens a single stream with exactly these headers (for malformed-input specs). */
  stream(headers: Record<string, string>): SpdyStream {
    const s = this.connection.request({ method: 'POST', path: '/', headers });
    // Send SYN_STREAM now: stream IDs must reach the server in increasing order (as spdystream sends them).
    s.send();
    s.on('error', () => undefined);
    return s;
  }

  async close(): Promise<void> {
    if (this.socket.destroyed) return;
    const closed = new Promise<void>((resolve) => this.socket.once('close', () => resolve()));
    this.socket.destroy();
    await closed;
  }
}

/** Collects a stream's bytes until it ends (or closes). */
export function readAll(stream: Duplex): Promise<string> {
  return new Promise((resolve) => {
    let text = '';
    stream.on('data', (d: Buffer) => (text += d.toString()));
    stream.once('end', () => resolve(text));
    stream.once('close', () => resolve(text));
  });
}
