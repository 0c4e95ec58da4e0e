import type { Counter, Gauge } from 'prom-client';
import type { Exchange } from '../simulator/http/exchange.js';
import type { RequestInfo } from '../simulator/http/request-info.js';
import type { RequestObserver } from '../simulator/http/request-observer.js';
import type { CounterCell, HistogramCell } from '../telemetry/cell-metrics.js';
import type { OperatorMetrics } from '../telemetry/metrics.js';

/**
 * Per-cluster request metrics (fkas_apiserver_*, fkas_simulation_faults_total)
 * as a RequestObserver of each served fake cluster. The serving path pays a
 * few Map lookups and additions per request: label sets are built once per
 * new combination into a cell (src/telemetry/cell-metrics.ts) read at scrape
 * time, never per request, and the User-Agent's product token is cached per
 * raw header value.
 *
 * Series per cluster: request_total ≈ verbs × resources × codes × clients
 * (clients capped at MAX_CLIENTS_PER_CLUSTER), the histogram
 * (API_REQUEST_BUCKETS + 3) per verb and resource, one watch gauge per
 * watched resource. For 10,000 clusters run with `--request-metrics aggregate`:
 * the same series without the namespace and cluster labels.
 */

/** `cluster`: labels per fake cluster; `aggregate`: one set for all (namespace, cluster empty); `off`: none. */
export type RequestMetricsMode = 'cluster' | 'aggregate' | 'off';
export const REQUEST_METRICS_MODES: readonly RequestMetricsMode[] = ['cluster', 'aggregate', 'off'];
/** Distinct `client` label values per cluster; later clients count as "other". */
export const MAX_CLIENTS_PER_CLUSTER = 8;
/** Raw User-Agent values whose token is remembered per cluster (a client that varies its header cannot grow memory). */
const MAX_USER_AGENTS_CACHED = 64;
const MAX_CLIENT_LABEL_LENGTH = 64;
export const OTHER_CLIENT = 'other';
export const NO_CLIENT = 'none';


export class RequestMetrics {
  private shared?: ClusterRequestMetrics;

  constructor(
    private readonly metrics: OperatorMetrics,
    readonly mode: RequestMetricsMode,
  ) {}

  /** The observer for one served cluster; undefined when metrics are off. */
  forCluster(namespace: string, cluster: string): RequestObserver | undefined {
    if (this.mode === 'off') return undefined;
    if (this.mode === 'aggregate') return (this.shared ??= new ClusterRequestMetrics(this.metrics, '', '', false));
    return new ClusterRequestMetrics(this.metrics, namespace, cluster, true);
  }
}

/** Nested caches: one Map per label, so a request looks up what it has instead of building a key. */
type Tree<T> = Map<string | number, Tree<T> | T>;

export class ClusterRequestMetrics implements RequestObserver {
  private readonly counters: Tree<CounterCell> = new Map();
  private readonly histograms = new Map<string, Map<string, HistogramCell>>();
  private readonly watches = new Map<string, Gauge.Internal<string>>();
  private readonly faults = new Map<number, Counter.Internal>();
  private readonly userAgents = new Map<string, string>();
  private readonly clients = new Set<string>();
  /** Every series created, to remove them when the cluster goes. */
  private readonly created: (() => void)[] = [];

  constructor(
    private readonly m: OperatorMetrics,
    private readonly namespace: string,
    private readonly cluster: string,
    private readonly removable: boolean,
  ) {}

  requestDone(ex: Exchange, info: RequestInfo | undefined, startedAt: number): void {
    const code = ex.res.statusCode;
    const verb = info?.isResource ? info.verb : nonResourceVerb(ex.method);
    const resource = info?.isResource ? info.resource : '';
    const sub = info?.isResource ? (info.subresource ?? '') : '';
    const client = this.clientOf(ex.req.headers['user-agent']);
    this.counter(verb, resource, sub, code, client).value++;
    this.m.apiRequestSeconds.observe(this.histogram(verb, resource), (performance.now() - startedAt) / 1000);
    if (ex.simulatedFault !== undefined) this.fault(ex.simulatedFault).inc();
    if (verb === 'watch' && code === 200 && !ex.res.writableEnded) {
      const gauge = this.watch(resource);
      gauge.inc();
      ex.onClose(() => gauge.dec());
    }
  }

  dispose(): void {
    if (!this.removable) return;
    for (const remove of this.created) remove();
    this.created.length = 0;
  }

  private counter(verb: string, resource: string, sub: string, code: number, client: string): CounterCell {
    const byCode = branch(branch(branch(this.counters, verb), resource), sub);
    let byClient = byCode.get(code) as Tree<CounterCell> | undefined;
    if (!byClient) byCode.set(code, (byClient = new Map()));
    let cell = byClient.get(client) as CounterCell | undefined;
    if (!cell) {
      const created = this.m.apiRequests.cell({ namespace: this.namespace, cluster: this.cluster, verb, resource, subresource: sub, code: String(code), client });
      byClient.set(client, (cell = created));
      this.created.push(() => this.m.apiRequests.remove(created));
    }
    return cell;
  }

  private histogram(verb: string, resource: string): HistogramCell {
    let byResource = this.histograms.get(verb);
    if (!byResource) this.histograms.set(verb, (byResource = new Map()));
    let cell = byResource.get(resource);
    if (!cell) {
      const created = this.m.apiRequestSeconds.cell({ namespace: this.namespace, cluster: this.cluster, verb, resource });
      byResource.set(resource, (cell = created));
      this.created.push(() => this.m.apiRequestSeconds.remove(created));
    }
    return cell;
  }

  private watch(resource: string): Gauge.Internal<string> {
    let child = this.watches.get(resource);
    if (!child) {
      const labels = { namespace: this.namespace, cluster: this.cluster, resource };
      this.watches.set(resource, (child = this.m.apiWatches.labels(labels)));
      this.created.push(() => this.m.apiWatches.remove(labels));
    }
    return child;
  }

  private fault(code: number): Counter.Internal {
    let child = this.faults.get(code);
    if (!child) {
      const labels = { namespace: this.namespace, cluster: this.cluster, code: String(code) };
      this.faults.set(code, (child = this.m.simulationFaults.labels(labels)));
      this.created.push(() => this.m.simulationFaults.remove(labels));
    }
    return child;
  }

  /** The User-Agent's first product token (`kubectl/v1.32 (linux)` → `kubectl`), capped per cluster. */
  private clientOf(header: string | string[] | undefined): string {
    const ua = Array.isArray(header) ? header[0] : header;
    if (!ua) return NO_CLIENT;
    const known = this.userAgents.get(ua);
    if (known !== undefined) return known;
    const token = productToken(ua);
    const label = this.clients.has(token) ? token : this.clients.size < MAX_CLIENTS_PER_CLUSTER ? (this.clients.add(token), token) : OTHER_CLIENT;
    if (this.userAgents.size < MAX_USER_AGENTS_CACHED) this.userAgents.set(ua, label);
    return label;
  }
}

function branch<T>(tree: Tree<T>, key: string): Tree<T> {
  let next = tree.get(key) as Tree<T> | undefined;
  if (!next) tree.set(key, (next = new Map()));
  return next;
}

/** `/healthz`, `/version`, discovery: kube-apiserver labels them by the HTTP method's verb. */
function nonResourceVerb(method: string): string {
  return method === 'GET' || method === 'HEAD' ? 'get' : method.toLowerCase();
}

export function productToken(ua: string): string {
  const end = ua.search(/[/\s]/);
  const token = (end < 0 ? ua : ua.slice(0, end)).slice(0, MAX_CLIENT_LABEL_LENGTH);
  return token || NO_CLIENT;
}
