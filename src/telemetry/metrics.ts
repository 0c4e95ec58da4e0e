import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { CellCounter, CellHistogram } from './cell-metrics.js';

/** Few buckets (each is a series per cluster, verb and resource), spread over what simulated latency makes. */
const API_REQUEST_BUCKETS = [0.005, 0.025, 0.1, 0.25, 0.5, 1, 2.5, 10];

/**
 * The operator's Prometheus metrics, in a registry of its own (several
 * operators can live in one test process without clashing).
 */
export class OperatorMetrics {
  readonly registry = new Registry();
  readonly reconciles: Counter<'controller' | 'result'>;
  readonly reconcileSeconds: Histogram<'controller'>;
  readonly queueDepth: Gauge<'controller'>;
  readonly activeClusters: Gauge;
  /** With --sharding: replicas clusters are assigned to, as this one sees them. */
  readonly shardMembers: Gauge;
  readonly managementRequests: Counter<'verb' | 'resource' | 'code'>;
  /** What clients (CAPI) ask of each fake cluster, named after kube-apiserver's own series. */
  /** Cells (labels namespace, cluster, verb, resource, subresource, code, client): bumped on the serving path. */
  readonly apiRequests: CellCounter;
  /** Cells (labels namespace, cluster, verb, resource). */
  readonly apiRequestSeconds: CellHistogram;
  readonly apiWatches: Gauge<'namespace' | 'cluster' | 'resource'>;
  readonly simulationFaults: Counter<'namespace' | 'cluster' | 'code'>;

  constructor(opts: { processMetrics?: boolean } = {}) {
    if (opts.processMetrics) collectDefaultMetrics({ register: this.registry, prefix: 'fkas_' });
    this.reconciles = new Counter({ name: 'fkas_reconcile_total', help: 'Reconciles by controller and result (success, error).', labelNames: ['controller', 'result'], registers: [this.registry] });
    this.reconcileSeconds = new Histogram({
      name: 'fkas_reconcile_duration_seconds',
      help: 'Time per reconcile.',
      labelNames: ['controller'],
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [this.registry],
    });
    this.queueDepth = new Gauge({ name: 'fkas_workqueue_depth', help: 'Keys waiting in each work queue.', labelNames: ['controller'], registers: [this.registry] });
    this.activeClusters = new Gauge({ name: 'fkas_fake_clusters_active', help: 'Fake clusters being served.', registers: [this.registry] });
    this.shardMembers = new Gauge({ name: 'fkas_shard_members', help: 'With --sharding: operator replicas fake clusters are assigned to (alive and not draining), as this replica sees them.', registers: [this.registry] });
    this.managementRequests = new Counter({
      name: 'fkas_management_api_requests_total',
      help: 'Requests the operator sent to the management API, by HTTP verb, resource and answer code: what each fake cluster costs the management cluster.',
      labelNames: ['verb', 'resource', 'code'],
      registers: [this.registry],
    });
    this.apiRequests = new CellCounter(
      'fkas_apiserver_request_total',
      'Requests fake clusters answered, by cluster, verb, resource, subresource, code and client (first User-Agent product token; rare clients as "other").',
      this.registry,
    );
    this.apiRequestSeconds = new CellHistogram(
      'fkas_apiserver_request_duration_seconds',
      'Time fake clusters took to answer (a watch: to start streaming), simulated latency included.',
      this.registry,
      API_REQUEST_BUCKETS,
    );
    this.apiWatches = new Gauge({ name: 'fkas_apiserver_watches', help: 'Open watches on fake clusters, by resource.', labelNames: ['namespace', 'cluster', 'resource'], registers: [this.registry] });
    this.simulationFaults = new Counter({
      name: 'fkas_simulation_faults_total',
      help: 'Requests answered with a fault of spec.simulation.faults, by code.',
      labelNames: ['namespace', 'cluster', 'code'],
      registers: [this.registry],
    });
  }
}
