import type { Exchange } from './exchange.js';
import type { RequestInfo } from './request-info.js';

/**
 * Who watches a fake cluster's requests (the operator's per-cluster
 * metrics). The simulator calls it and knows nothing of what it records.
 */
export interface RequestObserver {
  /**
   * Once per request, after its answer went out (a watch: once it streams;
   * `ex.onClose` tells when it ends). `info` is undefined for a request
   * refused before it was parsed; `startedAt` is performance.now() at entry.
   */
  requestDone(ex: Exchange, info: RequestInfo | undefined, startedAt: number): void;
  /** The cluster closed: forget what was recorded about it. */
  dispose?(): void;
}
