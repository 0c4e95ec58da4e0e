import { createServer, type Server, type Socket } from 'node:net';
import type { SpdyPortForwardTunnel } from './spdy-client.js';

/**
 * A local TCP port whose every connection becomes one forwarded connection
 * in an open SPDY tunnel (what kubectl port-forward does, and what CAPI's
 * dialer does for its gRPC client), so a stock gRPC client can use it.
 */
export async function bridgeTunnel(tunnel: SpdyPortForwardTunnel, remotePort: number): Promise<{ port: number; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.setNoDelay(true);
    const c = tunnel.forward(remotePort);
    socket.pipe(c.data);
    c.data.pipe(socket);
    const done = (): void => {
      socket.destroy();
      c.data.destroy();
    };
    socket.once('close', done);
    c.data.once('close', done);
    socket.on('error', () => undefined);
    socket.once('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  return {
    port: typeof address === 'object' && address ? address.port : 0,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
