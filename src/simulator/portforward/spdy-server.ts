import type { Duplex } from 'node:stream';
import transport, { type SpdyConnection, type SpdyStream } from 'spdy-transport';
import type { Logger } from '../../telemetry/logger.js';
import { MAX_STREAMS_PER_TUNNEL } from './protocol.js';

/**
 * A SPDY/3.1 server session on any duplex (an upgraded TLS socket, or a
 * WebSocket carrying SPDY frames), built on spdy-transport.
 *
 * spdy-transport was written for HTTP over SPDY: its parser refuses a
 * SYN_STREAM without `:method` and `:path`, which Kubernetes streams never
 * carry (they have `streamtype`, `port`, `requestid`). We give the parser
 * of each session those two pseudo-headers before its check runs; they are
 * removed again before the stream reaches us.
 */

type KvCallback = (err: Error | null, headers?: Record<string, string>) => void;
interface SpdyParser {
  parseKVs(buffer: unknown, callback: KvCallback): void;
}
interface ConnectionInternals {
  _spdyState: { parser: SpdyParser };
}

const PSEUDO_METHOD = ':method';
const PSEUDO_PATH = ':path';
/** Marks pseudo-headers we added, so we strip only ours. */
const ADDED_PSEUDO_HEADERS = Symbol('fkas.addedPseudoHeaders');

export function serveSpdy(socket: Duplex, onStream: (stream: SpdyStream) => void, log: Logger): SpdyConnection {
  const connection = transport.connection.create(socket, { protocol: 'spdy', isServer: true, maxStreams: MAX_STREAMS_PER_TUNNEL });
  const parser = (connection as unknown as ConnectionInternals)._spdyState.parser;
  const parseKVs = parser.parseKVs.bind(parser);
  parser.parseKVs = (buffer, callback) =>
    parseKVs(buffer, (err, headers) => {
      if (!err && headers && (headers[PSEUDO_METHOD] === undefined || headers[PSEUDO_PATH] === undefined)) {
        headers[PSEUDO_METHOD] ??= 'POST';
        headers[PSEUDO_PATH] ??= '/';
        (headers as Record<symbol, boolean>)[ADDED_PSEUDO_HEADERS] = true;
      }
      callback(err, headers);
    });
  connection.on('stream', (stream) => {
    if ((stream.headers as Record<symbol, boolean>)[ADDED_PSEUDO_HEADERS]) {
      delete stream.headers[PSEUDO_METHOD];
      delete stream.headers[PSEUDO_PATH];
    }
    // An RST from the client surfaces as 'error' on the stream; it only ends that stream.
    stream.on('error', (err: Error) => log.debug({ err: err.message, stream: stream.id }, 'port-forward stream error'));
    onStream(stream);
  });
  connection.on('error', (err) => {
    log.debug({ err: err.message }, 'port-forward SPDY session error');
    socket.destroy();
  });
  socket.on('error', () => socket.destroy());
  return connection;
}
