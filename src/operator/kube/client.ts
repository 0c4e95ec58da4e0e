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
    const res = await this.send(method, path, opts, opts.timeoutMs ?? REQUEST_TIMEOUT_MS);
    this.observer?.(method, resourceOfPath(path), res.statusCode ?? 0);
    const text = await readAll(res);
    const parsed: unknown = text ? safeJson(text) : undefined;
    if ((res.statusCode ?? 500) >= 400) throw toError(res.statusCode ?? 500, parsed, text, method, path);
    return parsed as T;
  }

  /**
   * Streams watch events (one JSON object per line) until the server ends the
   * watch, the connection drops, or abort() is called; then `done` runs once.
   */
  watch(path: string, query: Record<string, string>, onEvent: (type: string, object: Record<string, unknown>) => void, done: (err?: Error) => void): WatchHandle {
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
        let buffer = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          buffer += chunk;
          let nl: number;
          while ((nl = buffer.indexOf('\n')) >= 0) {
            const line = buffer.slice(0, nl).trim();
            buffer = buffer.slice(nl + 1);
            if (!line) continue;
            const event = safeJson(line) as { type?: string; object?: Record<string, unknown> } | undefined;
            if (event?.type && event.object) onEvent(event.type, event.object);
          }
        });
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

  private async options(method: string, path: string, query: Record<string, string>, contentType?: string): Promise<https.RequestOptions> {
    const qs = new URLSearchParams(query).toString();
    const credentials = await this.credentials();
    return {
      method,
      protocol: this.server.protocol,
      hostname: this.server.hostname.replace(/^\[|\]$/g, ''),
      port: this.server.port || 443,
      path: `${this.server.pathname.replace(/\/$/, '')}${path}${qs ? `?${qs}` : ''}`,
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

  private async send(method: string, path: string, opts: { body?: unknown; contentType?: string; query?: Record<string, string> }, timeoutMs: number): Promise<IncomingMessage> {
    const payload = opts.body === undefined ? undefined : typeof opts.body === 'string' ? opts.body : JSON.stringify(opts.body);
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
