import { Duplex } from 'node:stream';
import type { RawData, WebSocket } from 'ws';
import type { Logger } from '../../telemetry/logger.js';
import { connectionRefused, type PodEndpoint } from './stream-pairs.js';

/**
 * The `v4.channel.k8s.io` port-forward (kubelet's websocket.go): the ports
 * come in the `ports` query parameter; port i gets data channel 2i and error
 * channel 2i+1; every WebSocket message is one channel byte then payload;
 * the first message the server sends on each channel is the port number
 * (uint16, little-endian). The WebSocket closes once every port's
 * connection is over.
 */

const PORT_PREFIX_BYTES = 2;
const NORMAL_CLOSURE = 1000;

/** Something the port-forward server can close and learn the closing of. */
export interface Tunnel {
  destroy(): void;
  once(event: 'close', listener: () => void): unknown;
}

export function serveChannelTunnel(ws: WebSocket, ports: readonly number[], endpoint: PodEndpoint, log: Logger): Tunnel {
  const dataStreams: Duplex[] = [];
  let open = ports.length;
  const portDone = (): void => {
    if (--open === 0) ws.close(NORMAL_CLOSURE);
  };
  const send = (channel: number, payload: Buffer, cb?: (err?: Error) => void): void => {
    ws.send(Buffer.concat([Buffer.from([channel]), payload]), { binary: true }, cb);
  };
  ports.forEach((port, i) => {
    const dataChannel = 2 * i;
    const errorChannel = dataChannel + 1;
    const portBytes = Buffer.alloc(PORT_PREFIX_BYTES);
    portBytes.writeUInt16LE(port);
    send(dataChannel, portBytes);
    send(errorChannel, portBytes);
    const target = { namespace: endpoint.namespace, pod: endpoint.pod, podUid: endpoint.podUid, port };
    const handler = endpoint.resolve(port);
    if (!handler) {
      send(errorChannel, Buffer.from(connectionRefused(target)));
      dataStreams.push(new Duplex({ read() {}, write: (_c, _e, cb) => cb() }));
      portDone();
      return;
    }
    let done = false;
    const finish = (): void => {
      if (done) return;
      done = true;
      portDone();
    };
    const data = new Duplex({
      read() {},
      write(chunk: Buffer, _enc, cb) {
        send(dataChannel, chunk, (err) => cb(err ?? null));
      },
      final(cb) {
        finish();
        cb();
      },
    });
    data.once('close', finish);
    dataStreams.push(data);
    handler(data, target);
  });
  ws.on('message', (raw: RawData, isBinary: boolean) => {
    const message = Buffer.isBuffer(raw) ? raw : Array.isArray(raw) ? Buffer.concat(raw) : Buffer.from(raw);
    if (!isBinary || message.length === 0) return;
    const channel = message[0]!;
    // Only data channels carry client bytes; anything else is ignored, as kubelet does.
    if (channel % 2 !== 0) return;
    dataStreams[channel / 2]?.push(message.subarray(1));
  });
  ws.on('error', (err) => log.debug({ err: err.message }, 'port-forward WebSocket error'));
  ws.once('close', () => {
    for (const d of dataStreams) {
      d.push(null);
      d.destroy();
    }
  });
  return {
    destroy: () => ws.terminate(),
    once: (event, listener) => ws.once(event, listener),
  };
}
