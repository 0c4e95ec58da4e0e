import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import type { Http2ServerRequest, Http2ServerResponse } from 'node:http2';
import { StatusError, badRequest } from '../api/errors.js';
import { encodeStatusProtobuf } from '../protobuf/encode.js';
import { PROTOBUF_MEDIA_TYPE, prefersProtobuf } from './negotiation.js';

/**
 * One request/response pair, whether it arrived over HTTP/1.1 or HTTP/2:
 * the handlers only see this, so neither protocol leaks into them.
 */
export type AnyRequest = IncomingMessage | Http2ServerRequest;
export type AnyResponse = ServerResponse | Http2ServerResponse;

/** Request bodies above this are refused with 413 (kube-apiserver's limit is 3 MiB for most kinds). */
export const MAX_BODY_BYTES = 3 * 1024 * 1024;
/** A watch whose client has this much unread output is dropped; the client re-watches from its last resourceVersion. */
export const MAX_WATCH_BACKLOG_BYTES = 16 * 1024 * 1024;

export const JSON_CONTENT_TYPE = 'application/json';

export class Exchange {
  readonly url: URL;
  /** Warnings for the client (e.g. unknown fields dropped), sent as `Warning` headers with whatever answer goes out. */
  readonly warnings: string[] = [];
  /** Set when spec.simulation answered this request with a fault (the code): metrics count those apart. */
  simulatedFault?: number;

  constructor(
    readonly req: AnyRequest,
    readonly res: AnyResponse,
  ) {
    // The host part is irrelevant: only path and query are used.
    this.url = new URL(req.url ?? '/', 'https://fake.invalid');
  }

  get method(): string {
    return (this.req.method ?? 'GET').toUpperCase();
  }

  get headers(): IncomingHttpHeaders {
    return this.req.headers;
  }

  get query(): URLSearchParams {
    return this.url.searchParams;
  }

  header(name: string): string | undefined {
    const v = this.req.headers[name.toLowerCase()];
    return Array.isArray(v) ? v.join(', ') : v;
  }

  /** Reads the whole body, refusing more than MAX_BODY_BYTES with 413. */
  async body(limit = MAX_BODY_BYTES): Promise<Buffer> {
    const declared = Number(this.header('content-length'));
    if (Number.isFinite(declared) && declared > limit) throw tooLarge(limit);
    return readBody(this.req, limit);
  }

  sendJson(code: number, body: unknown, contentType = JSON_CONTENT_TYPE): void {
    this.sendRaw(code, typeof body === 'string' ? body : JSON.stringify(body), contentType);
  }

  sendRaw(code: number, text: string | Buffer, contentType: string): void {
    if (this.res.headersSent) {
      this.res.end();
      return;
    }
    const payload = typeof text === 'string' ? Buffer.from(text) : text;
    // One header line per distinct warning, as kube-apiserver sends them.
    if (this.warnings.length) this.res.setHeader('warning', [...new Set(this.warnings)].map(warningHeader));
    this.res.writeHead(code, {
      'content-type': contentType,
      'content-length': String(payload.length),
      'cache-control': 'no-cache, private',
    });
    if (this.method === 'HEAD') this.res.end();
    else this.res.end(payload);
  }

  /** 204 with no body and no content type (kube's answer when there is nothing to stream). */
  sendNoContent(): void {
    if (this.res.headersSent) {
      this.res.end();
      return;
    }
    this.res.writeHead(204, { 'cache-control': 'no-cache, private' });
    this.res.end();
  }

  sendError(err: StatusError): void {
    // As kube-apiserver's error writer: a Status that says when to retry also says it in Retry-After.
    const retry = err.details?.retryAfterSeconds;
    if (retry && !this.res.headersSent) this.res.setHeader('retry-after', String(retry));
    this.sendStatus(err.code, err.toStatus() as unknown as Record<string, unknown>);
  }

  /** A Status, in protobuf when the client prefers it (as kube-apiserver answers client-go set up for protobuf). */
  sendStatus(code: number, status: Record<string, unknown>): void {
    if (prefersProtobuf(this.header('accept'))) this.sendRaw(code, encodeStatusProtobuf(status), PROTOBUF_MEDIA_TYPE);
    else this.sendJson(code, status);
  }

  /** Starts a chunked streaming response (watch). */
  startStream(contentType = JSON_CONTENT_TYPE): { write(text: string | Buffer): boolean; end(): void } {
    const res = this.res as ServerResponse;
    // No content-length: HTTP/1.1 goes chunked, HTTP/2 streams DATA frames.
    res.writeHead(200, { 'content-type': contentType, 'cache-control': 'no-cache, private' });
    res.flushHeaders();
    return {
      write: (text: string | Buffer): boolean => {
        if (res.destroyed || res.writableEnded) return false;
        res.write(text);
        return res.writableLength <= MAX_WATCH_BACKLOG_BYTES;
      },
      end: (): void => {
        if (!res.writableEnded) res.end();
      },
    };
  }

  onClose(fn: () => void): void {
    this.res.on('close', fn);
  }
}

/**
 * A request's whole body, read through its events: one promise per body
 * (an async iterator makes several per chunk, on every write request).
 * Too much is refused as the iterator would: the stream is destroyed. The
 * listeners are anonymous and stay until the request is gone: settling the
 * promise again (a close after the end) changes nothing.
 */
function readBody(req: AnyRequest, limit: number): Promise<Buffer> {
  if (req.readableEnded) return Promise.resolve(Buffer.alloc(0));
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer | string): void => {
      if (size > limit) return;
      const buf = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
      size += buf.length;
      if (size <= limit) chunks.push(buf);
      else {
        req.destroy();
        reject(tooLarge(limit));
      }
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
    // Closed before its end: the client went away mid-body.
    req.on('close', () => {
      if (!req.readableEnded) reject(new Error('the request was closed before its body was read'));
    });
  });
}

function tooLarge(limit: number): StatusError {
  return new StatusError(413, 'RequestEntityTooLarge', `the request body is larger than the ${limit} byte limit; send a smaller object`);
}

/** A `Warning` header value as kube-apiserver writes it: code 299, no agent, the text quoted (Go's strconv.Quote). */
export function warningHeader(text: string): string {
  return `299 - ${JSON.stringify(text)}`;
}

/** Media type without parameters, lower-cased: `application/json`. */
export function mediaType(contentType: string | undefined): string {
  return (contentType ?? '').split(';')[0]!.trim().toLowerCase();
}

export function parseJsonBody(buf: Buffer): unknown {
  try {
    return JSON.parse(buf.toString('utf8'));
  } catch (e) {
    throw badRequest(`the request body is not valid JSON: ${(e as Error).message}`);
  }
}
