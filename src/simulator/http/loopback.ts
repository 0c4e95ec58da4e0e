import { EventEmitter } from 'node:events';
import type { IncomingHttpHeaders, OutgoingHttpHeaders } from 'node:http';
import { Readable } from 'node:stream';
import type { Logger } from '../../telemetry/logger.js';
import { handleApiRequest } from './api-handler.js';
import type { ClusterView, Identity } from './cluster-view.js';
import { Exchange, type AnyRequest, type AnyResponse } from './exchange.js';

/**
 * Requests from inside this process to a fake cluster, without a socket:
 * the same handlers, authorization and answers as over HTTPS, minus TLS,
 * HTTP framing and the kernel. kube-apiserver talks to itself through a
 * loopback client in the same spirit. Used for the operator's calls to its
 * embedded management API, where both ends share one event loop: over
 * HTTPS each call cost both ends their HTTP and TLS work.
 */

export interface LoopbackRequest {
  readonly method: string;
  /** Path and query, as on the request line. */
  readonly path: string;
  readonly headers: IncomingHttpHeaders;
  readonly body?: Buffer;
}

/** What the handler answers, as it happens: head once, then data until end (a watch streams). */
export interface LoopbackSink {
  head(statusCode: number, headers: OutgoingHttpHeaders): void;
  data(chunk: Buffer): void;
  end(): void;
}

export interface LoopbackCall {
  /** The caller went away: a watch stops, as when its connection closes. */
  abort(): void;
}

/** Serves one request as `identity` (already authenticated) on `cluster`. */
export function serveLoopback(cluster: ClusterView, identity: Identity, req: LoopbackRequest, sink: LoopbackSink, log: Logger): LoopbackCall {
  const request = loopbackRequest(req);
  const response = new LoopbackResponse(sink);
  void handleApiRequest(new Exchange(request as unknown as AnyRequest, response as unknown as AnyResponse), cluster, identity, log);
  return { abort: () => response.destroy() };
}

/** The request side: a readable body with the request line's method, URL and headers on it, as IncomingMessage has. */
function loopbackRequest(req: LoopbackRequest): Readable {
  const body = Readable.from(req.body && req.body.length ? [req.body] : [], { objectMode: false });
  return Object.assign(body, { method: req.method, url: req.path, headers: req.headers });
}

/**
 * The response side: the part of ServerResponse the Exchange uses. Headers
 * are collected until writeHead; the sink hears of each step in order, once
 * the handler's synchronous work is done (as a socket would deliver it), so
 * the caller never runs inside the server's write path: a watch event is
 * written while the store commits.
 */
class LoopbackResponse extends EventEmitter {
  headersSent = false;
  writableEnded = false;
  destroyed = false;
  /** Nothing waits for a reader here: steps are handed over within the same turn of the event loop. */
  readonly writableLength = 0;
  private readonly pending: OutgoingHttpHeaders = {};
  private readonly steps: (() => void)[] = [];

  constructor(private readonly sink: LoopbackSink) {
    super();
  }

  private deliver(step: () => void): void {
    if (this.steps.push(step) === 1) queueMicrotask(() => this.drain());
  }

  private drain(): void {
    // Steps queued while draining join this pass, still in order.
    for (let i = 0; i < this.steps.length; i++) this.steps[i]!();
    this.steps.length = 0;
  }

  setHeader(name: string, value: string | string[]): this {
    this.pending[name.toLowerCase()] = value;
    return this;
  }

  getHeader(name: string): string | string[] | number | undefined {
    return this.pending[name.toLowerCase()];
  }

  writeHead(statusCode: number, headers: OutgoingHttpHeaders = {}): this {
    if (this.headersSent) return this;
    this.headersSent = true;
    for (const [k, v] of Object.entries(headers)) this.pending[k.toLowerCase()] = v;
    const sent = this.pending;
    this.deliver(() => this.sink.head(statusCode, sent));
    return this;
  }

  flushHeaders(): void {
    if (!this.headersSent) this.writeHead(200);
  }

  write(chunk: string | Buffer): boolean {
    if (this.writableEnded || this.destroyed) return false;
    this.flushHeaders();
    const buf = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    this.deliver(() => this.sink.data(buf));
    return true;
  }

  end(chunk?: string | Buffer): this {
    if (this.writableEnded || this.destroyed) return this;
    if (chunk !== undefined && chunk.length) this.write(chunk);
    this.flushHeaders();
    this.writableEnded = true;
    this.deliver(() => this.sink.end());
    this.emit('finish');
    this.emit('close');
    return this;
  }

  destroy(): this {
    if (this.destroyed || this.writableEnded) return this;
    this.destroyed = true;
    this.emit('close');
    return this;
  }
}
