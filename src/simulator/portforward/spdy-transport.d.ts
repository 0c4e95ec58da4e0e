/**
 * The part of spdy-transport 3.0.0 (untyped JavaScript) that the
 * port-forward server uses.
 */
declare module 'spdy-transport' {
  import type { Duplex } from 'node:stream';

  export interface SpdyStream extends Duplex {
    readonly id: number;
    /** SYN_STREAM headers, names lower-cased as SPDY/3 requires. */
    readonly headers: Record<string, string>;
    respond(status: number, headers: Record<string, string>, callback?: (err?: Error) => void): void;
    /** Sends the SYN_STREAM of a stream this side opened (otherwise sent on first write). */
    send(callback?: (err?: Error) => void): void;
    /** Sends RST_STREAM (CANCEL unless a code is given). */
    abort(code?: string, callback?: () => void): void;
  }

  export interface SpdyConnection extends NodeJS.EventEmitter {
    on(event: 'stream', listener: (stream: SpdyStream) => void): this;
    on(event: 'error', listener: (err: Error) => void): this;
    on(event: 'close', listener: (err?: Error) => void): this;
    on(event: 'ping' | 'frame' | 'version', listener: (arg: unknown) => void): this;
    start(version: number): void;
    request(
      uri: { method?: string; path?: string; headers?: Record<string, string>; host?: string },
      callback?: (err: Error | null, stream: SpdyStream) => void,
    ): SpdyStream;
    ping(callback?: (err: Error | null) => void): void;
    end(callback?: () => void): void;
    destroyStreams(err?: Error): void;
  }

  export interface ConnectionOptions {
    protocol: 'spdy' | 'http2';
    isServer: boolean;
    /** Receive window the connection advertises; default 1 MiB. */
    windowSize?: number;
    maxStreams?: number;
    autoSpdy31?: boolean;
  }

  export const connection: { create(socket: Duplex, options: ConnectionOptions): SpdyConnection };
  const transport: { connection: typeof connection };
  export default transport;
}
