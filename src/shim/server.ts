import http from 'node:http';
import Koa from 'koa';
import Router from '@koa/router';
import type { Logger } from '../telemetry/logger.js';
import {
  API_VERSION,
  CAPI_CONTROL_PLANE_LABEL,
  FAKE_API_SERVER,
  FAKE_NODE,
  NODE_ROLE_CONTROL_PLANE_LABEL,
  type FakeAPIServer,
  type FakeNode,
  type NodeRole,
} from '../operator/api/v1alpha1.js';
import { isAlreadyExists, isNotFound, KubeApiError, type KubeClient } from '../operator/kube/client.js';
import { parseRegister, parseUpdateNode, ShimInputError, type UpdateNodeRequest } from './requests.js';

/**
 * The legacy FKAS REST API on port 3333, kept for existing scripts. It only
 * creates and updates FakeAPIServer and FakeNode resources and waits for the
 * operator to act on them; the operator does the work.
 */

export const DEFAULT_SHIM_PORT = 3333;
/** How long /register and /updateNode wait for the operator before answering 504. */
export const DEFAULT_WAIT_MS = 30_000;
const POLL_MS = 100;
const MAX_BODY_BYTES = 64 * 1024;
const CAPI_MACHINE = { apiVersion: 'cluster.x-k8s.io/v1beta1', plural: 'machines' };

class ShimError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly field?: string,
  ) {
    super(message);
  }
}

export interface ShimOptions {
  readonly client: KubeClient;
  readonly log: Logger;
  readonly waitMs?: number;
}

export function createShimApp(opts: ShimOptions): Koa {
  const { client, log } = opts;
  const waitMs = opts.waitMs ?? DEFAULT_WAIT_MS;
  const app = new Koa();
  const router = new Router();

  app.use(async (ctx, next) => {
    try {
      await next();
      if (ctx.status === 404 && ctx.body === undefined) throw new ShimError(404, `no such endpoint: ${ctx.method} ${ctx.path}; use POST /register or PUT /updateNode`);
    } catch (err) {
      const e = err instanceof ShimInputError ? new ShimError(400, err.message, err.field) : err;
      if (e instanceof ShimError) {
        ctx.status = e.status;
        ctx.body = { error: e.message, ...(e.field ? { field: e.field } : {}) };
      } else {
        log.error({ err }, 'shim request failed');
        ctx.status = 500;
        ctx.body = { error: `internal error: ${(err as Error).message}` };
      }
    }
  });
  app.use(jsonBody);

  router.post('/register', async (ctx) => {
    const req = parseRegister(ctx.state.body);
    const path = { apiVersion: API_VERSION, plural: FAKE_API_SERVER.plural, namespace: req.namespace };
    const existing = await findFakeApiServer(client, req.namespace, req.cluster);
    if (!existing) {
      try {
        await client.create(path, { apiVersion: API_VERSION, kind: FAKE_API_SERVER.kind, metadata: { name: req.cluster, namespace: req.namespace }, spec: { clusterName: req.cluster } });
      } catch (err) {
        if (!isAlreadyExists(err)) throw asShimError(err);
      }
    }
    const name = existing?.metadata.name ?? req.cluster;
    const fas = await waitFor(waitMs, `the FakeAPIServer ${req.namespace}/${name} to serve`, async () => {
      const f = await client.get<FakeAPIServer>({ ...path, name });
      return f.status?.endpoint && f.status.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ? f : undefined;
    });
    ctx.body = { Resource: `${req.namespace}/${req.cluster}`, Host: fas.status!.endpoint!.host, Port: fas.status!.endpoint!.port };
  });

  router.put('/updateNode', async (ctx) => {
    const req = parseUpdateNode(ctx.state.body);
    if (!(await findFakeApiServer(client, req.namespace, req.cluster))) {
      throw new ShimError(404, `cluster ${req.namespace}/${req.cluster} is not registered: POST /register first`, 'cluster');
    }
    const role = await roleOf(client, req);
    const path = { apiVersion: API_VERSION, plural: FAKE_NODE.plural, namespace: req.namespace };
    const name = `${req.cluster}-${req.nodeName}`.slice(0, 253);
    const spec = {
      clusterName: req.cluster,
      nodeName: req.nodeName,
      providerID: req.providerID,
      ...(req.uuid ? { uuid: req.uuid } : {}),
      labels: req.labels,
      ...(req.k8sversion ? { kubernetesVersion: req.k8sversion } : {}),
      role,
    };
    let generation: number | undefined;
    try {
      // The request describes the whole node: replace the spec (labels included) in one write.
      const updated = await client.patch<FakeNode>({ ...path, name }, 'json', [{ op: 'add', path: '/spec', value: spec }]);
      generation = updated.metadata.generation;
    } catch (err) {
      if (!isNotFound(err)) throw asShimError(err);
      const created = await client.create<FakeNode>(path, { apiVersion: API_VERSION, kind: FAKE_NODE.kind, metadata: { name, namespace: req.namespace }, spec }).catch((e: unknown) => {
        throw asShimError(e);
      });
      generation = created.metadata.generation;
    }
    await waitFor(waitMs, `the FakeNode ${req.namespace}/${name} to be registered`, async () => {
      const f = await client.get<FakeNode>({ ...path, name });
      const registered = f.status?.conditions?.find((c) => c.type === 'Registered');
      return registered?.status === 'True' && (f.status?.observedGeneration ?? 0) >= (generation ?? 0) ? f : undefined;
    });
    ctx.body = { Resource: `${req.namespace}/${req.cluster}`, NodeName: req.nodeName, Role: role, Status: 'Registered' };
  });

  app.use(router.routes());
  app.use(router.allowedMethods({ throw: true, methodNotAllowed: () => new ShimError(405, 'method not allowed: use POST /register and PUT /updateNode') }));
  return app;
}

/** Reads a JSON body (at most MAX_BODY_BYTES) into ctx.request.body. */
async function jsonBody(ctx: Koa.Context, next: Koa.Next): Promise<void> {
  if (ctx.method === 'POST' || ctx.method === 'PUT') {
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of ctx.req as AsyncIterable<Buffer>) {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) throw new ShimError(413, `the body is larger than ${MAX_BODY_BYTES} bytes`);
      chunks.push(chunk);
    }
    const text = Buffer.concat(chunks).toString('utf8');
    try {
      ctx.state.body = text ? (JSON.parse(text) as unknown) : undefined;
    } catch (e) {
      throw new ShimError(400, `the body is not valid JSON: ${(e as Error).message}`, 'body');
    }
  }
  await next();
}

async function findFakeApiServer(client: KubeClient, namespace: string, cluster: string): Promise<FakeAPIServer | undefined> {
  try {
    return await client.get<FakeAPIServer>({ apiVersion: API_VERSION, plural: FAKE_API_SERVER.plural, namespace, name: cluster });
  } catch (err) {
    if (!isNotFound(err)) throw asShimError(err);
  }
  const list = await client.list<FakeAPIServer>({ apiVersion: API_VERSION, plural: FAKE_API_SERVER.plural, namespace });
  return list.items.find((f) => (f.spec.clusterName || f.metadata.name) === cluster);
}

/** The request has no role: an explicit field, else the control-plane label, else the CAPI Machine of that name, else worker. */
async function roleOf(client: KubeClient, req: UpdateNodeRequest): Promise<NodeRole> {
  if (req.role) return req.role;
  if (req.labels[NODE_ROLE_CONTROL_PLANE_LABEL] !== undefined) return 'control-plane';
  try {
    const machine = await client.get<{ metadata: { labels?: Record<string, string> } }>({ ...CAPI_MACHINE, namespace: req.namespace, name: req.nodeName });
    return machine.metadata.labels?.[CAPI_CONTROL_PLANE_LABEL] !== undefined ? 'control-plane' : 'worker';
  } catch {
    // No Machine (or no CAPI installed): a worker, as the original assumed.
    return 'worker';
  }
}

async function waitFor<T>(ms: number, what: string, probe: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new ShimError(504, `timed out after ${ms} ms waiting for ${what}; check the operator's logs and the resource's conditions`);
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
}

function asShimError(err: unknown): Error {
  if (err instanceof KubeApiError) {
    const status = err.code === 422 || err.code === 400 ? 400 : err.code === 403 ? 403 : 502;
    return new ShimError(status, `the management API refused the request: ${err.message}`);
  }
  return err as Error;
}

export async function startShim(opts: ShimOptions & { host: string; port: number }): Promise<{ port: number; close(): Promise<void> }> {
  const server = http.createServer(createShimApp(opts).callback());
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host, () => resolve());
  });
  const address = server.address();
  return {
    port: typeof address === 'object' && address ? address.port : opts.port,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
