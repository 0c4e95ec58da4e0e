import diagnosticsChannel from 'node:diagnostics_channel';
import https from 'node:https';
import type { IncomingMessage } from 'node:http';
import { KubeConfig } from '@kubernetes/client-node';

/**
 * A small generic REST client for the management cluster, over the
 * connection settings of @kubernetes/client-node's KubeConfig (kubeconfig
 * files, in-cluster service accounts, exec and token auth). Generic over
 * kinds: the operator talks to CRs, Secrets, Events, Leases and CAPI objects
 * through the same five verbs, with explicit patch content types.
 */

export class KubeApiError extends Error {
  constructor(
    readonly code: number,
    readonly reason: string,
    message: string,
    readonly body?: unknown,
  ) {
    super(message);
    this.name = 'KubeApiError';
  }
}

export const isNotFound = (e: unknown): boolean => e instanceof KubeApiError && e.code === 404;
export const isConflict = (e: unknown): boolean => e instanceof KubeApiError && e.code === 409;
/** 422: the request was understood but refused (a JSON patch `test` that failed, a field that does not validate). */
export const isInvalid = (e: unknown): boolean => e instanceof KubeApiError && e.code === 422;
export const isAlreadyExists = (e: unknown): boolean => e instanceof KubeApiError && e.code === 409 && e.reason === 'AlreadyExists';

export interface ResourcePath {
  readonly apiVersion: string;
  readonly plural: string;
  readonly namespace?: string;
  readonly name?: string;
  readonly subresource?: string;
}

export interface CallOptions {
  /** Give up on a call with no answer after this long (default 30 s): a Lease renewal must not outlive its deadline. */
  readonly timeoutMs?: number;
}

export type PatchType = 'json' | 'merge' | 'strategic' | 'apply';
const PATCH_CONTENT_TYPE: Record<PatchType, string> = {
  json: 'application/json-patch+json',
  merge: 'application/merge-patch+json',
  strategic: 'application/strategic-merge-patch+json',
  apply: 'application/apply-patch+yaml',
};

/** Requests that hang longer than this fail, so a reconcile can retry instead of stalling its key. */
const REQUEST_TIMEOUT_MS = 30_000;
/** Connections kept open to the apiserver; watches hold one each on HTTP/1.1. */
const MAX_SOCKETS = 64;

export function resourceUrl(p: ResourcePath): string {
  const base = p.apiVersion.includes('/') ? `/apis/${p.apiVersion}` : `/api/${p.apiVersion}`;
  const ns = p.namespace ? `/namespaces/${encodeURIComponent(p.namespace)}` : '';
  const name = p.name ? `/${encodeURIComponent(p.name)}` : '';
  const sub = p.subresource ? `/${p.subresource}` : '';
  return `${base}${ns}/${p.plural}${name}${sub}`;
}

/** Told of every answered request (watches when they start), e.g. to count management-API calls. */
export type RequestObserver = (verb: string, resource: string, code: number) => void;

/** The resource (plural, and subresource) of an API path, for metrics labels. */
export function resourceOfPath(path: string): string {
  const parts = path.split('?')[0]!.split('/').filter(Boolean);
  // /api/v1/... or /apis/group/version/...
  let i = parts[0] === 'api' ? 2 : 3;
  if (parts[i] === 'namespaces' && parts.length > i + 2) i += 2;
  const plural = parts[i] ?? '';
  const sub = parts[i + 2];
  return sub ? `${plural}/${sub}` : plural;
}

export interface WatchHandle {
  abort(): void;
}

/** What a transport tells as an answer arrives: the status once, then chunks, then the end. */
export interface TransportHandlers {
  head(statusCode: number): void;
  data(chunk: Buffer): void;
  end(): void;
}

/**
 * Every call that goes through a KubeTransport is published here as
 * `{ method, path }` when it starts, as node:http publishes its requests on
 * `http.client.request.start`: counters of management-API calls (the scale
 * bench's) see both.
 */
export const TRANSPORT_REQUEST_CHANNEL = 'fkas:kube-transport:request:start';
const transportRequests = diagnosticsChannel.channel(TRANSPORT_REQUEST_CHANNEL);

/**
 * A way to the API server other than HTTPS: the embedded management API
 * answers the operator in-process (operator/embedded.ts). `path` carries the
 * query; the caller is whoever the transport was made for.
 */
export interface KubeTransport {
  call(method: string, path: string, headers: Record<string, string>, body: string | undefined, on: TransportHandlers): { abort(): void };
}

/** The TLS material of a kubeconfig's cluster and user, as @kubernetes/client-node resolves it. */
type TlsMaterial = Pick<https.AgentOptions, 'ca' | 'cert' | 'key' | 'pfx' | 'passphrase' | 'rejectUnauthorized' | 'servername'>;
const TLS_FIELDS = ['ca', 'cert', 'key', 'pfx', 'passphrase', 'rejectUnauthorized', 'servername'] as const;

export class KubeClient {
  /**
   * One keep-alive agent for as long as the TLS material stays the same.
   * client-node's applyToHTTPSOptions puts a fresh Agent on every request,
   * which costs a full mutually-authenticated TLS handshake per call on both
   * sides; we take only its headers and TLS material and keep our agent.
   */
  private agent?: https.Agent;
  private agentMaterial?: TlsMaterial;
  private readonly retiredAgents: https.Agent[] = [];

  /** Set by the operator to count its calls. */
  observer?: RequestObserver;

  constructor(
    readonly kubeConfig: KubeConfig,
    readonly fieldManager = 'metal3-fkas',
    private readonly transport?: KubeTransport,
  ) {
    const cluster = kubeConfig.getCurrentCluster();
    if (!cluster) throw new Error('the kubeconfig has no current cluster: set current-context, or pass --kubeconfig');
    this.server = new URL(cluster.server);
    this.proxied = Boolean(cluster.proxyUrl);
  }

  private readonly proxied: boolean;
  private fixedCredentials?: https.RequestOptions;

  readonly server: URL;

  static fromFile(path: string): KubeClient {
    const kc = new KubeConfig();
    kc.loadFromFile(path);
    return new KubeClient(kc);
  }

  get<T>(p: ResourcePath, opts: CallOptions = {}): Promise<T> {
    return this.request<T>('GET', resourceUrl(p), opts);
  }

  list<T>(p: ResourcePath, query: Record<string, string> = {}): Promise<{ metadata: { resourceVersion: string; continue?: string }; items: T[] }> {
    return this.request('GET', resourceUrl(p), { query });
  }

  create<T>(p: ResourcePath, body: unknown, opts: CallOptions = {}): Promise<T> {
    return this.request<T>('POST', resourceUrl({ ...p, name: undefined }), { ...opts, body, query: { fieldManager: this.fieldManager } });
  }

  replace<T>(p: ResourcePath, body: unknown, opts: CallOptions = {}): Promise<T> {
    return this.request<T>('PUT', resourceUrl(p), { ...opts, body, query: { fieldManager: this.fieldManager } });
  }

  patch<T>(p: ResourcePath, type: PatchType, body: unknown, opts: { force?: boolean } = {}): Promise<T> {
    const query: Record<string, string> = { fieldManager: this.fieldManager };
    if (opts.force) query.force = 'true';
    return this.request<T>('PATCH', resourceUrl(p), { body, contentType: PATCH_CONTENT_TYPE[type], query });
  }

  delete<T>(p: ResourcePath, opts: { propagationPolicy?: 'Background' | 'Foreground' | 'Orphan' } = {}): Promise<T> {
    return this.request<T>('DELETE', resourceUrl(p), opts.propagationPolicy ? { body: { kind: 'DeleteOptions', apiVersion: 'v1', propagationPolicy: opts.propagationPolicy } } : {});
  }

  async request<T>(method: string, path: string, opts: { body?: unknown; contentType?: string; query?: Record<string, string> } & CallOptions = {}): Promise<T> {
    const timeoutMs = opts.timeoutMs ?? REQUEST_TIMEOUT_MS;
    const { statusCode, text } = this.transport ? await this.callTransport(this.transport, method, path, opts, timeoutMs) : await this.callHttps(method, path, opts, timeoutMs);
    this.observer?.(method, resourceOfPath(path), statusCode);
    const parsed: unknown = text ? safeJson(text) : undefined;
    if (statusCode >= 400) throw toError(statusCode, parsed, text, method, path);
    return parsed as T;
  }

  private async callHttps(method: string, path: string, opts: RequestBody, timeoutMs: number): Promise<Answer> {
    const res = await this.send(method, path, opts, timeoutMs);
    return { statusCode: res.statusCode ?? 500, text: await readAll(res) };
  }

  private callTransport(transport: KubeTransport, method: string, path: string, opts: RequestBody, timeoutMs: number): Promise<Answer> {
    const payload = bodyText(opts.body);
    const headers: Record<string, string> = { accept: 'application/json' };
    if (payload !== undefined) headers['content-type'] = opts.contentType ?? 'application/json';
    return new Promise<Answer>((resolve, reject) => {
      let statusCode = 500;
      const chunks: Buffer[] = [];
      const timer = setTimeout(() => {
        call.abort();
        reject(new Error(`${method} ${path} timed out after ${timeoutMs} ms`));
      }, timeoutMs);
      const target = withQuery(path, opts.query ?? {});
      if (transportRequests.hasSubscribers) transportRequests.publish({ method, path: target });
      const call = transport.call(method, target, headers, payload, {
        head: (code) => (statusCode = code),
        data: (chunk) => chunks.push(chunk),
        end: () => {
          clearTimeout(timer);
          resolve({ statusCode, text: Buffer.concat(chunks).toString('utf8') });
        },
      });
    });
  }

  /**
   * Streams watch events (one JSON object per line) until the server ends the
   * watch, the connection drops, or abort() is called; then `done` runs once.
   */
  watch(path: string, query: Record<string, string>, onEvent: (type: string, object: Record<string, unknown>) => void, done: (err?: Error) => void): WatchHandle {
    if (this.transport) return this.watchTransport(this.transport, path, query, onEvent, done);
    let finished = false;
    let req: ReturnType<typeof https.request> | undefined;
    const finish = (err?: Error): void => {
      if (finished) return;
      finished = true;
      done(err);
    };
    void this.options('GET', path, { ...query, watch: 'true' }).then((options) => {
      if (finished) return;
      req = https.request(options, (res) => {
        this.observer?.('WATCH', resourceOfPath(path), res.statusCode ?? 0);
        if ((res.statusCode ?? 500) >= 400) {
          void readAll(res).then((text) => finish(toError(res.statusCode ?? 500, safeJson(text), text, 'WATCH', path)));
          return;
        }
        const lines = new EventLines(onEvent);
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => lines.push(chunk));
        res.on('end', () => finish());
        res.on('error', (e) => finish(e));
        res.on('aborted', () => finish(new Error('watch connection aborted')));
      });
      req.on('error', (e) => finish(e));
      req.end();
    }, finish);
    return {
      abort: (): void => {
        req?.destroy();
        finish();
      },
    };
  }

  private watchTransport(transport: KubeTransport, path: string, query: Record<string, string>, onEvent: (type: string, object: Record<string, unknown>) => void, done: (err?: Error) => void): WatchHandle {
    let finished = false;
    let statusCode = 500;
    const failure: Buffer[] = [];
    const lines = new EventLines(onEvent);
    const target = withQuery(path, { ...query, watch: 'true' });
    if (transportRequests.hasSubscribers) transportRequests.publish({ method: 'GET', path: target });
    const call = transport.call('GET', target, { accept: 'application/json' }, undefined, {
      head: (code) => {
        statusCode = code;
        this.observer?.('WATCH', resourceOfPath(path), code);
      },
      data: (chunk) => (statusCode >= 400 ? failure.push(chunk) : lines.push(chunk.toString('utf8'))),
      end: () => {
        if (finished) return;
        finished = true;
        if (statusCode < 400) return done();
        const text = Buffer.concat(failure).toString('utf8');
        done(toError(statusCode, safeJson(text), text, 'WATCH', path));
      },
    });
    return {
      abort: (): void => {
        if (finished) return;
        finished = true;
        call.abort();
        done();
      },
    };
  }

  private async options(method: string, path: string, query: Record<string, string>, contentType?: string): Promise<https.RequestOptions> {
    const credentials = await this.credentials();
    return {
      method,
      protocol: this.server.protocol,
      hostname: this.server.hostname.replace(/^\[|\]$/g, ''),
      port: this.server.port || 443,
      path: `${this.server.pathname.replace(/\/$/, '')}${withQuery(path, query)}`,
      headers: { ...credentials.headers, accept: 'application/json', ...(contentType ? { 'content-type': contentType } : {}) },
      ...(credentials.auth ? { auth: credentials.auth } : {}),
      agent: this.agentFor(credentials),
    };
  }

  /**
   * Headers and TLS material from the kubeconfig. Resolved once when they
   * cannot change (certificates, static tokens); per request when an exec
   * plugin or auth provider (service-account token files) may rotate them.
   */
  private async credentials(): Promise<https.RequestOptions> {
    if (this.fixedCredentials) return this.fixedCredentials;
    const opts: https.RequestOptions = {};
    await this.kubeConfig.applyToHTTPSOptions(opts);
    const user = this.kubeConfig.getCurrentUser();
    if (!user?.exec && !user?.authProvider) this.fixedCredentials = opts;
    return opts;
  }

  private agentFor(opts: https.RequestOptions): https.Agent {
    const material: TlsMaterial = {};
    for (const f of TLS_FIELDS) if (opts[f] !== undefined) (material as Record<string, unknown>)[f] = opts[f];
    if (this.agent && this.agentMaterial && TLS_FIELDS.every((f) => sameMaterial(this.agentMaterial![f], material[f]))) return this.agent;
    // New credentials (a rotated client certificate): new connections use them, open watches finish on the old agent.
    if (this.agent) this.retiredAgents.push(this.agent);
    // Behind a proxy the library's agent does the tunnelling: keep the first one it made.
    this.agent = this.proxied ? (opts.agent as https.Agent) : new https.Agent({ keepAlive: true, maxSockets: MAX_SOCKETS, ...material });
    this.agentMaterial = material;
    return this.agent;
  }

  private async send(method: string, path: string, opts: RequestBody, timeoutMs: number): Promise<IncomingMessage> {
    const payload = bodyText(opts.body);
    const options = await this.options(method, path, opts.query ?? {}, payload !== undefined ? (opts.contentType ?? 'application/json') : undefined);
    return new Promise<IncomingMessage>((resolve, reject) => {
      const req = https.request(options, resolve);
      req.setTimeout(timeoutMs, () => req.destroy(new Error(`${method} ${path} timed out after ${timeoutMs} ms`)));
      req.on('error', reject);
      req.end(payload);
    });
  }

  close(): void {
    this.agent?.destroy();
    for (const a of this.retiredAgents.splice(0)) a.destroy();
  }
}

interface RequestBody {
  readonly body?: unknown;
  readonly contentType?: string;
  readonly query?: Record<string, string>;
}

interface Answer {
  readonly statusCode: number;
  readonly text: string;
}

function bodyText(body: unknown): string | undefined {
  return body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body);
}

function withQuery(path: string, query: Record<string, string>): string {
  const qs = new URLSearchParams(query).toString();
  return qs ? `${path}?${qs}` : path;
}

/** Watch events, one JSON object per line, from chunks that may split lines anywhere. */
class EventLines {
  private buffer = '';

  constructor(private readonly onEvent: (type: string, object: Record<string, unknown>) => void) {}

  push(chunk: string): void {
    this.buffer += chunk;
    let nl: number;
    while ((nl = this.buffer.indexOf('\n')) >= 0) {
      const line = this.buffer.slice(0, nl).trim();
      this.buffer = this.buffer.slice(nl + 1);
      if (!line) continue;
      const event = safeJson(line) as { type?: string; object?: Record<string, unknown> } | undefined;
      if (event?.type && event.object) this.onEvent(event.type, event.object);
    }
  }
}

function sameMaterial(a: unknown, b: unknown): boolean {
  if (Buffer.isBuffer(a) && Buffer.isBuffer(b)) return a.equals(b);
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => sameMaterial(x, b[i]));
  return a === b;
}

function readAll(res: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let s = '';
    res.setEncoding('utf8');
    res.on('data', (c: string) => (s += c));
    res.on('end', () => resolve(s));
    res.on('error', reject);
  });
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function toError(code: number, body: unknown, text: string, method: string, path: string): KubeApiError {
  const status = body as { reason?: string; message?: string } | undefined;
  return new KubeApiError(code, status?.reason ?? 'Unknown', `${method} ${path}: ${code} ${status?.message ?? text.slice(0, 200)}`, body);
}
