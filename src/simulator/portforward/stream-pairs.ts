import { createHash } from 'node:crypto';
import type { Duplex } from 'node:stream';
import type { SpdyStream } from 'spdy-transport';
import type { Logger } from '../../telemetry/logger.js';
import type { PodPortHandler, PodPortTarget } from './pod-ports.js';
import {
  HEADER_PORT,
  HEADER_REQUEST_ID,
  HEADER_STREAM_TYPE,
  MAX_PORT,
  STREAM_CREATION_TIMEOUT_MS,
  STREAM_TYPE_DATA,
  STREAM_TYPE_ERROR,
} from './protocol.js';

/**
 * The kubelet side of one SPDY port-forward tunnel: streams arrive in pairs
 * (an `error` and a `data` stream with the same requestID), and each
 * complete pair is one forwarded connection to a pod port.
 */

/** After the client half-closes a forwarded connection, how long the pod side may still write. */
const HALF_CLOSE_GRACE_MS = 1_000;

export interface PodEndpoint {
  readonly namespace: string;
  readonly pod: string;
  readonly podUid: string;
  /** What listens on a port of this pod; undefined = nothing (connection refused). */
  resolve(port: number): PodPortHandler | undefined;
}

interface StreamPair {
  error?: SpdyStream;
  data?: SpdyStream;
  timer?: NodeJS.Timeout;
}

export class PortForwardStreams {
  private readonly pairs = new Map<string, StreamPair>();

  constructor(
    private readonly endpoint: PodEndpoint,
    private readonly log: Logger,
  ) {}

  /** Validates a new stream as kubelet does, replies to it, and pairs it. */
  accept(stream: SpdyStream): void {
    const problem = invalidStreamHeaders(stream.headers);
    if (problem) {
      // kubelet rejects such a stream with RST_STREAM (spdystream's Reset: CANCEL).
      this.log.debug({ problem, stream: stream.id }, 'port-forward stream rejected');
      stream.abort();
      return;
    }
    stream.respond(200, {});
    const requestId = requestIdOf(stream);
    const type = stream.headers[HEADER_STREAM_TYPE]!;
    let pair = this.pairs.get(requestId);
    if (!pair) {
      pair = {};
      this.pairs.set(requestId, pair);
      const created = pair;
      created.timer = setTimeout(() => this.expire(requestId, created), STREAM_CREATION_TIMEOUT_MS);
      created.timer.unref();
    }
    if ((type === STREAM_TYPE_ERROR && pair.error) || (type === STREAM_TYPE_DATA && pair.data)) {
      const message = `error processing stream for request ${requestId}: ${type} stream already assigned`;
      this.log.debug({ requestId }, message);
      if (pair.error) pair.error.write(message);
      stream.abort();
      return;
    }
    if (type === STREAM_TYPE_ERROR) pair.error = stream;
    else pair.data = stream;
    if (pair.error && pair.data) {
      clearTimeout(pair.timer);
      // The pair stays known until its connection ends, so a duplicate stream is refused as kubelet does.
      const complete = pair;
      pair.data.once('close', () => {
        if (this.pairs.get(requestId) === complete) this.pairs.delete(requestId);
      });
      this.forward(pair.error, pair.data);
    }
  }

  /** Ends every incomplete pair (the tunnel is gone). */
  close(): void {
    for (const pair of this.pairs.values()) clearTimeout(pair.timer);
    this.pairs.clear();
  }

  private expire(requestId: string, pair: StreamPair): void {
    if (this.pairs.get(requestId) !== pair) return;
    this.pairs.delete(requestId);
    if (pair.error) writeError(pair.error, `(conn=${this.endpoint.pod}, request=${requestId}) timed out waiting for streams`);
    pair.data?.abort();
  }

  private forward(error: SpdyStream, data: SpdyStream): void {
    const port = Number(data.headers[HEADER_PORT]);
    const handler = this.endpoint.resolve(port);
    const target: PodPortTarget = { namespace: this.endpoint.namespace, pod: this.endpoint.pod, podUid: this.endpoint.podUid, port };
    if (!handler) {
      writeError(error, connectionRefused(target));
      data.end();
      return;
    }
    // kubelet closes the error stream when the forwarded connection is over; clients wait for that.
    data.once('close', () => endQuietly(error));
    // containerd's port-forward has no half-close: once the client stops sending, the connection
    // is closed. We give the handler a moment to flush its last answer first.
    data.once('end', () => setTimeout(() => data.destroy(), HALF_CLOSE_GRACE_MS).unref());
    try {
      handler(data as Duplex, target);
    } catch (err) {
      this.log.error({ err, pod: target.pod, port }, 'pod port handler failed');
      writeError(error, `error forwarding port ${port} to pod ${sandboxId(target.podUid)}, uid : ${(err as Error).message}`);
      data.destroy();
    }
  }
}

/** kubelet's checks on a new stream (httpStreamReceived), with its messages. */
function invalidStreamHeaders(headers: Record<string, string>): string | undefined {
  const portString = headers[HEADER_PORT];
  if (!portString) return `"port" header is required`;
  const port = /^\d+$/.test(portString) ? Number(portString) : NaN;
  if (!Number.isInteger(port) || port > MAX_PORT) return `unable to parse "${portString}" as a port`;
  if (port < 1) return `port "${portString}" must be > 0`;
  const type = headers[HEADER_STREAM_TYPE];
  if (!type) return `"streamType" header is required`;
  if (type !== STREAM_TYPE_ERROR && type !== STREAM_TYPE_DATA) return `invalid stream type "${type}"`;
  return undefined;
}

/** Old clients sent no requestID: kubelet pairs a data stream with the error stream opened just before it. */
function requestIdOf(stream: SpdyStream): string {
  const id = stream.headers[HEADER_REQUEST_ID];
  if (id) return id;
  return String(stream.headers[HEADER_STREAM_TYPE] === STREAM_TYPE_DATA ? stream.id - 2 : stream.id);
}

/**
 * What kubelet with containerd writes when nothing listens on the port:
 * kubelet names the pod by its sandbox ID and leaves the uid empty.
 */
export function connectionRefused(target: PodPortTarget): string {
  const sandbox = sandboxId(target.podUid);
  const p = target.port;
  return (
    `error forwarding port ${p} to pod ${sandbox}, uid : failed to execute portforward in network namespace "/var/run/netns/cni-${sandbox.slice(0, 8)}": ` +
    `failed to connect to localhost:${p} inside namespace "${sandbox}", IPv4: dial tcp4 127.0.0.1:${p}: connect: connection refused ` +
    `IPv6 dial tcp6 [::1]:${p}: connect: connection refused `
  );
}

/** A stable 64-hex-digit sandbox ID per pod, like containerd's. */
function sandboxId(podUid: string): string {
  return createHash('sha256').update(podUid).digest('hex');
}

function writeError(stream: SpdyStream, message: string): void {
  if (stream.destroyed || stream.writableEnded) return;
  stream.end(message);
}

function endQuietly(stream: SpdyStream): void {
  if (!stream.destroyed && !stream.writableEnded) stream.end();
}
