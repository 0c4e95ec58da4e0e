import http from 'node:http';
import https from 'node:https';
import type { KeyObject } from 'node:crypto';
import { issueCertificate, loadCertificateAuthority } from '../../src/pki/certificates.js';
import { privateKeyToPem } from '../../src/pki/keys.js';
import type { RegisterAnswer, System } from './systems.js';

/**
 * The load generator both systems get: N clusters, each registered
 * (POST /register) and given one control-plane node (PUT /updateNode),
 * PARALLEL at a time; then every cluster asked for GET /api/v1/nodes over
 * TLS with a client certificate its CA signed, until it lists its node.
 *
 * Three phases, so the load generator's own work does not count against
 * either system:
 *   register  timed: the legacy calls, one keep-alive connection per worker
 *   prepare   not timed: read each cluster's CA as the system exposes it and
 *             sign a client certificate with it (RSA signing for the anchor's
 *             CAs would otherwise add ~1.5 ms of this process's CPU per cluster)
 *   answer    timed: one new TLS connection per cluster, retried until the
 *             node is listed
 * time to all answering = register wall time + answer wall time.
 */

export const PARALLEL = 8;
export const NAMESPACE = 'default';
const K8S_VERSION = 'v1.34.4';
/** A cluster that does not list its node within this long fails the run. */
const ANSWER_TIMEOUT_MS = 60_000;
const RETRY_MS = 20;
/**
 * After a restart every cluster is asked again at this pace: each try is a new TLS connection, and
 * eight workers retrying every 20 ms would spend the restarting process's core on handshakes with
 * clusters whose nodes are not back yet (client-go backs off for longer still).
 */
const RESTART_RETRY_MS = 250;
const CALL_TIMEOUT_MS = 120_000;
/**
 * A 504 from /register or /updateNode means "still working on it, ask again"
 * (fkas's shim gives up waiting after 30 s; the call is idempotent), so the
 * load generator asks again, as a caller would, up to this many times; the
 * latency counts from the first attempt.
 */
const MAX_GATEWAY_TIMEOUTS = 10;

export interface LoadResult {
  readonly clusters: number;
  readonly registerWallMs: number;
  readonly answerWallMs: number;
  readonly registerMs: readonly number[];
  readonly updateNodeMs: readonly number[];
  /** Clusters whose first GET did not list the node (they answered on a retry). */
  readonly answeredOnRetry: number;
  /** 504 answers to /register or /updateNode that were asked again. */
  readonly gatewayTimeouts: number;
  /** CPU time the system's process used in the two timed phases (every thread). */
  readonly cpuMs: number;
}

interface Registered {
  readonly cluster: string;
  readonly node: string;
  readonly answer: RegisterAnswer;
}

interface Prepared extends Registered {
  readonly ca: string;
  readonly cert: string;
}

/** A driven system's clusters, each with a client certificate its CA signed. */
export interface Driven {
  readonly result: LoadResult;
  /**
   * Asks every cluster again until each lists its node (after a restart); resolves with the wall time.
   * `sinceMs` (performance.now()) starts the clock earlier, e.g. when the process was started.
   */
  answerAgain(sinceMs: number): Promise<number>;
}

/** CPU time a process has used so far, in ms. */
export type CpuClock = () => Promise<number>;

export async function drive(system: System, clusters: number, clientKey: KeyObject, cpuClock: CpuClock): Promise<Driven> {
  const registerMs: number[] = [];
  const updateNodeMs: number[] = [];
  const agent = new http.Agent({ keepAlive: true, maxSockets: PARALLEL });
  const registered: Registered[] = [];
  let gatewayTimeouts = 0;
  const legacyCall = async <T>(method: string, path: string, body: unknown): Promise<T> => {
    for (let attempt = 1; ; attempt++) {
      try {
        return await call<T>(agent, system.shimUrl, method, path, body);
      } catch (err) {
        if (!(err instanceof GatewayTimeout) || attempt >= MAX_GATEWAY_TIMEOUTS) throw err;
        gatewayTimeouts++;
      }
    }
  };
  try {
    const cpuAtStart = await cpuClock();
    const started = performance.now();
    await inParallel(clusters, async (i) => {
      const cluster = `bench-${i}`;
      const node = `${cluster}-cp-0`;
      let t = performance.now();
      const answer = await legacyCall<RegisterAnswer>('POST', '/register', { cluster, namespace: NAMESPACE });
      registerMs.push(performance.now() - t);
      t = performance.now();
      await legacyCall('PUT', '/updateNode', updateNodeBody(cluster, node, i));
      updateNodeMs.push(performance.now() - t);
      registered.push({ cluster, node, answer });
    });
    const registerWallMs = performance.now() - started;
    const registerCpuMs = (await cpuClock()) - cpuAtStart;

    const clientKeyPem = privateKeyToPem(clientKey);
    const prepared: Prepared[] = [];
    await inParallel(registered.length, async (i) => {
      const r = registered[i]!;
      const ca = await system.caOf(NAMESPACE, r.cluster, r.answer);
      const cert = issueCertificate(loadCertificateAuthority(ca.certPem, ca.keyPem), {
        commonName: 'bench-admin', organizations: ['system:masters'], usages: ['client'], publicKey: clientKey,
      });
      prepared.push({ ...r, ca: ca.certPem, cert: cert.certPem });
    });

    let answeredOnRetry = 0;
    const cpuBeforeAnswers = await cpuClock();
    const answerStarted = performance.now();
    await inParallel(prepared.length, async (i) => {
      if (!(await answers(prepared[i]!, clientKeyPem))) answeredOnRetry++;
    });
    const answerWallMs = performance.now() - answerStarted;
    const cpuMs = registerCpuMs + (await cpuClock()) - cpuBeforeAnswers;
    const result = { clusters, registerWallMs, answerWallMs, registerMs, updateNodeMs, answeredOnRetry, gatewayTimeouts, cpuMs };
    const answerAgain = async (sinceMs: number): Promise<number> => {
      await inParallel(prepared.length, async (i) => void (await answers(prepared[i]!, clientKeyPem, RESTART_RETRY_MS)));
      return performance.now() - sinceMs;
    };
    return { result, answerAgain };
  } finally {
    agent.destroy();
  }
}

/** New clusters registered at once after everything else was measured (issue 12: /register p99 < 2 s with 100 in flight). */
export const REGISTER_BURST = 100;

/** Latencies of one burst of /register calls, all sent at once. */
export interface BurstResult {
  readonly inFlight: number;
  readonly registerMs: readonly number[];
  readonly wallMs: number;
}

/**
 * `inFlight` new clusters registered at once, one connection each (issue 12: /register p99 < 2 s
 * with 100 calls in flight). A 504 counts as an answer here: the caller would have to ask again.
 */
export async function registerBurst(system: System, inFlight: number): Promise<BurstResult> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: inFlight });
  try {
    const started = performance.now();
    const registerMs = await Promise.all(
      Array.from({ length: inFlight }, async (_, i) => {
        const t = performance.now();
        await call(agent, system.shimUrl, 'POST', '/register', { cluster: `burst-${i}`, namespace: NAMESPACE }).catch((err: unknown) => {
          if (!(err instanceof GatewayTimeout)) throw err;
        });
        return performance.now() - t;
      }),
    );
    return { inFlight, registerMs, wallMs: performance.now() - started };
  } finally {
    agent.destroy();
  }
}

/** The body CAPM3 sends for a control-plane Machine; both systems read the role from its labels. */
function updateNodeBody(cluster: string, node: string, i: number): Record<string, unknown> {
  return {
    cluster,
    namespace: NAMESPACE,
    nodeName: node,
    providerID: `metal3://${NAMESPACE}/${node}/${node}`,
    uuid: `00000000-0000-4000-8000-${i.toString(16).padStart(12, '0')}`,
    labels: { 'cluster.x-k8s.io/control-plane': '', 'node-role.kubernetes.io/control-plane': '' },
    k8sversion: K8S_VERSION,
  };
}

/** Runs task(0..count-1), PARALLEL at a time. */
async function inParallel(count: number, task: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(PARALLEL, count) }, async () => {
    while (next < count) await task(next++);
  }));
}

class GatewayTimeout extends Error {}

async function call<T>(agent: http.Agent, base: string, method: string, path: string, body: unknown): Promise<T> {
  const data = JSON.stringify(body);
  return new Promise<T>((resolve, reject) => {
    const req = http.request(new URL(path, base), { method, agent, timeout: CALL_TIMEOUT_MS, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(data) } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        if (res.statusCode === 504) return reject(new GatewayTimeout(`${method} ${path} ${data} answered 504: ${text}`));
        if (res.statusCode !== 200) return reject(new Error(`${method} ${path} ${data} answered ${res.statusCode}: ${text}`));
        try {
          resolve((text ? JSON.parse(text) : {}) as T);
        } catch {
          reject(new Error(`${method} ${path} answered 200 with a body that is not JSON: ${text.slice(0, 200)}`));
        }
      });
    });
    req.on('timeout', () => req.destroy(new Error(`${method} ${path} took longer than ${CALL_TIMEOUT_MS} ms`)));
    req.on('error', reject);
    req.end(data);
  });
}

/** Polls until the cluster lists its node; true when the first try did. */
async function answers(c: Prepared, keyPem: string, retryMs = RETRY_MS): Promise<boolean> {
  const deadline = performance.now() + ANSWER_TIMEOUT_MS;
  let lastError: string;
  for (let attempt = 0; ; attempt++) {
    try {
      if (await listsNode(c, keyPem)) return attempt === 0;
      lastError = `the node list does not contain ${c.node}`;
    } catch (err) {
      lastError = (err as Error).message;
    }
    if (performance.now() > deadline) throw new Error(`cluster ${c.cluster} (${c.answer.Host}:${c.answer.Port}) did not list its node within ${ANSWER_TIMEOUT_MS} ms: ${lastError}`);
    await new Promise((r) => setTimeout(r, retryMs));
  }
}

/** One GET /api/v1/nodes on a new connection, verifying the server against the cluster's CA. */
function listsNode(c: Prepared, keyPem: string): Promise<boolean> {
  return new Promise((resolve, reject) => {
    const req = https.request(
      { host: c.answer.Host, port: c.answer.Port, path: '/api/v1/nodes', method: 'GET', agent: false, ca: c.ca, cert: c.cert, key: keyPem, headers: { accept: 'application/json' } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (d: Buffer) => chunks.push(d));
        res.on('end', () => {
          if (res.statusCode !== 200) return reject(new Error(`GET /api/v1/nodes answered ${res.statusCode}`));
          const list = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { items?: { metadata?: { name?: string } }[] };
          resolve(list.items?.some((n) => n.metadata?.name === c.node) ?? false);
        });
      },
    );
    req.on('error', reject);
    req.end();
  });
}
