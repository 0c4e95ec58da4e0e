import type { IncomingMessage, ServerResponse } from 'node:http';
import { Readable } from 'node:stream';
import type { FakeCluster } from '../src/simulator/cluster.js';
import { handleApiRequest } from '../src/simulator/http/api-handler.js';
import { Exchange } from '../src/simulator/http/exchange.js';
import { ADMIN_USER } from '../src/simulator/simulator.js';
import { componentLogger } from '../src/telemetry/logger.js';
import { report } from './support.js';

/** Requests per measured block; the best of BLOCKS is reported. */
const REQUESTS_PER_BLOCK = 2000;
const BLOCKS = 8;
const log = componentLogger('bench-in-process');

/**
 * The serving path's own CPU per request, without sockets, TLS or a load
 * process: the request goes straight to the API handler with a stand-in
 * response. The best of several blocks is reported: on a shared machine a
 * block that ran alone tells the code's cost, where requests/s over TLS
 * move with every other process.
 */
export async function inProcessRequestCost(cluster: FakeCluster): Promise<void> {
  let n = 0;
  const heartbeat = (): string => `{"status":{"conditions":[{"type":"Ready","status":"True","reason":"KubeletReady","message":"in-process heartbeat ${n++}"}]}}`;
  const get = (): Promise<void> => serve(cluster, 'GET', '/api/v1/nodes');
  const patch = (): Promise<void> => serve(cluster, 'PATCH', '/api/v1/nodes/node-0/status', heartbeat());
  report('in-process GET /api/v1/nodes: best CPU per request', await bestBlock(get), 'µs');
  report('in-process PATCH nodes/node-0/status: best CPU/req', await bestBlock(patch), 'µs');
}

async function bestBlock(request: () => Promise<void>): Promise<number> {
  for (let i = 0; i < REQUESTS_PER_BLOCK; i++) await request(); // warm up
  let best = Number.POSITIVE_INFINITY;
  for (let block = 0; block < BLOCKS; block++) {
    const before = process.cpuUsage();
    for (let i = 0; i < REQUESTS_PER_BLOCK; i++) await request();
    const used = process.cpuUsage(before);
    best = Math.min(best, (used.user + used.system) / REQUESTS_PER_BLOCK);
  }
  return best;
}

/** One request through handleApiRequest; anything but 200 fails the bench. */
async function serve(cluster: FakeCluster, method: string, path: string, body?: string): Promise<void> {
  const req = Object.assign(Readable.from(body === undefined ? [] : [Buffer.from(body)]), {
    method,
    url: path,
    headers: { accept: 'application/json', ...(body === undefined ? {} : { 'content-type': 'application/strategic-merge-patch+json' }) },
  });
  const res = new StandInResponse();
  await handleApiRequest(new Exchange(req as unknown as IncomingMessage, res as unknown as ServerResponse), cluster, ADMIN_USER, log);
  if (res.statusCode !== 200) throw new Error(`in-process ${method} ${path}: ${res.statusCode}`);
}

/** What Exchange uses of a ServerResponse, writing nowhere. */
class StandInResponse {
  statusCode = 0;
  headersSent = false;
  writableEnded = false;

  setHeader(): void {}

  writeHead(code: number): this {
    this.statusCode = code;
    this.headersSent = true;
    return this;
  }

  end(): void {
    this.writableEnded = true;
  }

  on(): this {
    return this;
  }

  once(): this {
    return this;
  }
}
