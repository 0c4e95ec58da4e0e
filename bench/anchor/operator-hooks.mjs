/**
 * Preloaded into the fkas operator process by bench/anchor.bench.ts
 * (`node --expose-gc --import <this file> …`), and inert unless
 * FKAS_BENCH_HOOKS_PORT is set. It serves, on 127.0.0.1 only:
 *   POST /gc      a full garbage collection (twice: the first one can leave
 *                 objects that only become garbage after finalizers ran), then
 *                 {rssBytes, heapUsedBytes, externalBytes, arrayBuffersBytes,
 *                 heapPhysicalBytesBySpace}
 *   GET  /writes  how many requests this process has sent to the management
 *                 API (the host:port in FKAS_BENCH_MANAGEMENT), by method, and
 *                 by method and resource (`PATCH fakeapiservers/status`)
 * The counter listens on Node's diagnostics channels for outgoing requests,
 * so it sees every request the operator and its shim send, whichever client
 * sends it (node:http/https, or fetch through undici), and on the channel the
 * operator's client publishes its in-process calls to an embedded management
 * API on (fkas:kube-transport:request:start, which never leave the process).
 * Plain JavaScript: it loads before any TypeScript loader.
 */
import diagnosticsChannel from 'node:diagnostics_channel';
import http from 'node:http';
import process from 'node:process';
import v8 from 'node:v8';
import { URL } from 'node:url';

const port = Number(process.env.FKAS_BENCH_HOOKS_PORT ?? '');
const management = process.env.FKAS_BENCH_MANAGEMENT ?? '';

if (port > 0) {
  /** @type {Record<string, number>} */
  const byMethod = {};
  /** @type {Record<string, number>} */
  const byResource = {};
  const count = (method, hostPort, path) => {
    if (hostPort !== management) return;
    byMethod[method] = (byMethod[method] ?? 0) + 1;
    const key = `${method} ${resourceOf(path)}`;
    byResource[key] = (byResource[key] ?? 0) + 1;
  };
  diagnosticsChannel.subscribe('http.client.request.start', ({ request }) => count(request.method, String(request.getHeader('host') ?? ''), request.path));
  diagnosticsChannel.subscribe('undici:request:create', ({ request }) => count(request.method, new URL(request.origin).host, request.path));
  // In-process calls of the operator's KubeClient (src/operator/kube/client.ts): only ever to the management API.
  diagnosticsChannel.subscribe('fkas:kube-transport:request:start', ({ method, path }) => count(method, management, path));

  const server = http.createServer((req, res) => {
    const reply = (status, body) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    if (req.method === 'POST' && req.url === '/gc') {
      const gc = globalThis.gc;
      if (!gc) return reply(500, { error: 'start node with --expose-gc' });
      gc();
      gc();
      const m = process.memoryUsage();
      const physical = Object.fromEntries(v8.getHeapSpaceStatistics().map((sp) => [sp.space_name, sp.physical_space_size]));
      return reply(200, { rssBytes: m.rss, heapUsedBytes: m.heapUsed, externalBytes: m.external, arrayBuffersBytes: m.arrayBuffers, heapPhysicalBytesBySpace: physical });
    }
    if (req.method === 'GET' && req.url === '/writes') return reply(200, { byMethod, byResource });
    reply(404, { error: 'use POST /gc or GET /writes' });
  });
  // Never keeps the operator alive on its own, and never stops it from starting.
  server.unref();
  server.on('error', (err) => process.stderr.write(`bench hooks: cannot listen on 127.0.0.1:${port}: ${err.message}\n`));
  server.listen(port, '127.0.0.1');
}

/** `/apis/g/v/namespaces/ns/fakeapiservers/x/status?…` → `fakeapiservers/status`: the plural and the subresource of a path. */
function resourceOf(path) {
  const parts = String(path ?? '').split('?')[0].split('/').filter(Boolean);
  let i = parts[0] === 'api' ? 2 : parts[0] === 'apis' ? 3 : parts.length;
  if (parts[i] === 'namespaces' && parts.length > i + 2) i += 2;
  const plural = parts[i] ?? parts.join('/');
  return parts[i + 2] ? `${plural}/${parts[i + 2]}` : plural;
}
