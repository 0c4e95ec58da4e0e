import type { Duplex } from 'node:stream';
import type { IncomingMessage } from 'node:http';
import type { KindRegistry } from '../kinds/registry.js';
import type { Resources } from '../store/resources.js';
import type { RequestObserver } from './request-observer.js';
import type { RequestSimulation } from './simulation.js';

/**
 * What the HTTP layer needs from a fake cluster. The cluster module
 * implements it; the HTTP layer never imports the cluster module, so the
 * dependency points one way.
 */
export interface ClusterView {
  readonly name: string;
  readonly registry: KindRegistry;
  readonly resources: Resources;
  /** `host:port` as clients reach it (discovery reports it). */
  readonly serverAddress: string;
  /** The /version document. */
  readonly versionInfo: Record<string, string>;
  /** Static bearer tokens accepted besides client certificates (token → user). */
  readonly tokens?: ReadonlyMap<string, Identity>;
  /** Latency and faults every request goes through (spec.simulation); undefined when nothing is simulated. */
  readonly simulation?: RequestSimulation | undefined;
  /** Told about every request once it is answered (metrics); undefined costs nothing. */
  readonly requestObserver?: RequestObserver | undefined;
  /**
   * Serves a pods/portforward upgrade for a pod that exists. Absent when the
   * cluster has no port-forward support wired.
   */
  portForward?(req: IncomingMessage, socket: Duplex, head: Buffer, namespace: string, pod: string): void;
}

export interface Identity {
  readonly user: string;
  readonly groups: readonly string[];
}
