import http from 'node:http';
import Koa from 'koa';
import Router from '@koa/router';
import type { Logger } from '../telemetry/logger.js';
import { API_VERSION, FAKE_API_SERVER, FAKE_NODE, type FakeAPIServer, type FakeNode } from '../operator/api/v1alpha1.js';
import type { KubeClient } from '../operator/kube/client.js';
import { Informer } from '../operator/kube/informer.js';
import type { ShimContext, ShimInformers } from './context.js';
import { Deadline } from './deadline.js';
import { ShimError } from './errors.js';
import { register } from './register.js';
import { ShimInputError } from './requests.js';
import { updateNode } from './update-node.js';
import { Waiters } from './waiters.js';

/**
 * The legacy FKAS REST API on port 3333, kept for existing scripts. It only
 * creates and updates FakeAPIServer and FakeNode resources and waits for the
 * operator to act on them; the operator does the work. Waiting requests are
 * woken by watch events (the operator's informers when it runs in the same
 * process), never by polling.
 */

export const DEFAULT_SHIM_PORT = 3333;
/** How long /register and /updateNode may take, waiting for the operator included, before answering 504. */
export const DEFAULT_WAIT_MS = 30_000;
const MAX_BODY_BYTES = 64 * 1024;
const ENDPOINTS = 'use POST /register and PUT /updateNode';
/** The one method of each path. */
const ROUTES: Readonly<Record<string, string>> = { '/register': 'POST', '/updateNode': 'PUT' };

export interface ShimOptions {
  readonly client: KubeClient;
  readonly log: Logger;
  readonly waitMs?: number;
  /** The operator's informers; without them the shim runs one watch per kind of its own. */
  readonly informers?: ShimInformers;
}

export function createShimApp(ctx: ShimContext): Koa {
  const app = new Koa();
  // Paths are exact and case-sensitive, as in the original: /REGISTER and /register/ are 404.
  const router = new Router({ sensitive: true, strict: true });
  app.use(answerErrors(ctx.log));
  app.use(jsonBody);
  router.post('/register', async (koa) => {
    koa.body = await withDeadline(ctx, (deadline) => register(ctx, koa.state.body, deadline));
  });
  router.put('/updateNode', async (koa) => {
    koa.body = await withDeadline(ctx, (deadline) => updateNode(ctx, koa.state.body, deadline));
  });
  app.use(router.routes());
  // A known path with any other method (GET, OPTIONS, TRACE, made-up ones) is 405 naming the method to use; the router's allowedMethods would answer 501 for methods it does not know.
  app.use(async (koa, next) => {
    await next();
    const allowed = Object.hasOwn(ROUTES, koa.path) ? ROUTES[koa.path] : undefined;
    if (allowed && koa.status === 404 && koa.body === undefined) {
      koa.set('Allow', allowed);
      throw new ShimError(405, `method ${koa.method} not allowed on ${koa.path}: use ${allowed}`);
    }
  });
  return app;
}

async function withDeadline<T>(ctx: ShimContext, handle: (deadline: Deadline) => Promise<T>): Promise<T> {
  const deadline = new Deadline(ctx.waitMs);
  try {
    return await handle(deadline);
  } finally {
    deadline.clear();
  }
}

/** Every answer that is not a 200 is `{error, field?}`; only the shim's own bugs are 500. */
function answerErrors(log: Logger): Koa.Middleware {
  return async (koa, next) => {
    try {
      await next();
      if (koa.status === 404 && koa.body === undefined) throw new ShimError(404, `no such endpoint: ${koa.method} ${koa.path}; ${ENDPOINTS}`);
    } catch (err) {
      const e = err instanceof ShimInputError ? new ShimError(400, err.message, err.field) : clientHttpError(err);
      if (e instanceof ShimError) {
        koa.status = e.status;
        koa.body = { error: e.message, ...(e.field ? { field: e.field } : {}) };
      } else {
        log.error({ err }, 'shim request failed');
        koa.status = 500;
        koa.body = { error: `internal error: ${(err as Error).message}` };
      }
    }
  };
}

/** Koa's and its middlewares' own 4xx errors (http-errors) keep their status. */
function clientHttpError(err: unknown): unknown {
  const status = (err as { status?: unknown } | undefined)?.status;
  if (typeof status === 'number' && status >= 400 && status < 500 && !(err instanceof ShimError)) return new ShimError(status, (err as Error).message);
  return err;
}

/** Reads a JSON body (at most MAX_BODY_BYTES) into koa.state.body. */
async function jsonBody(koa: Koa.Context, next: Koa.Next): Promise<void> {
  if (koa.method === 'POST' || koa.method === 'PUT') {
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of koa.req as AsyncIterable<Buffer>) {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) throw new ShimError(413, `the body is larger than ${MAX_BODY_BYTES} bytes`, 'body');
      chunks.push(chunk);
    }
    const text = Buffer.concat(chunks).toString('utf8');
    try {
      koa.state.body = text ? (JSON.parse(text) as unknown) : undefined;
    } catch (e) {
      // Also a body nested too deep for the parser's stack (RangeError): still the client's body.
      throw new ShimError(400, `the body is not valid JSON: ${(e as Error).message}`, 'body');
    }
  }
  await next();
}

/** The shim's own watches, for when it runs without the operator's informers. */
function ownInformers(client: KubeClient, log: Logger): ShimInformers & { stop(): void } {
  const fakeApiServers = new Informer<FakeAPIServer>(client, { resource: { apiVersion: API_VERSION, plural: FAKE_API_SERVER.plural }, log });
  const fakeNodes = new Informer<FakeNode>(client, { resource: { apiVersion: API_VERSION, plural: FAKE_NODE.plural }, log });
  fakeApiServers.start();
  fakeNodes.start();
  return {
    fakeApiServers,
    fakeNodes,
    stop: () => {
      fakeApiServers.stop();
      fakeNodes.stop();
    },
  };
}

export interface RunningShim {
  readonly port: number;
  /** Requests waiting for the operator right now. */
  waiting(): number;
  close(): Promise<void>;
}

export async function startShim(opts: ShimOptions & { host: string; port: number }): Promise<RunningShim> {
  const own = opts.informers ? undefined : ownInformers(opts.client, opts.log);
  const informers = opts.informers ?? own!;
  // Answers read the cache: it must hold everything that existed when the shim starts.
  await Promise.all([informers.fakeApiServers.synced, informers.fakeNodes.synced]);
  const ctx: ShimContext = {
    client: opts.client,
    log: opts.log,
    waitMs: opts.waitMs ?? DEFAULT_WAIT_MS,
    fakeApiServers: informers.fakeApiServers,
    fakeNodes: informers.fakeNodes,
    fakeApiServerWaiters: new Waiters(informers.fakeApiServers, informers.statuses?.fakeApiServers),
    fakeNodeWaiters: new Waiters(informers.fakeNodes, informers.statuses?.fakeNodes),
  };
  const server = http.createServer(createShimApp(ctx).callback());
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host, () => resolve());
  });
  const address = server.address();
  return {
    port: typeof address === 'object' && address ? address.port : opts.port,
    waiting: () => ctx.fakeApiServerWaiters.size + ctx.fakeNodeWaiters.size,
    close: async () => {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      const stopping = new ShimError(503, 'the shim is shutting down: send the request again once it is back');
      ctx.fakeApiServerWaiters.close(stopping);
      ctx.fakeNodeWaiters.close(stopping);
      server.closeIdleConnections();
      await closed;
      own?.stop();
    },
  };
}
