import type { Duplex } from 'node:stream';

/**
 * What "listens" on a pod's ports inside a fake cluster. A port-forward data
 * stream is handed, in-process, to the handler registered for the pod and
 * port; no TCP port is opened for it.
 */

export interface PodPortTarget {
  readonly namespace: string;
  readonly pod: string;
  readonly podUid: string;
  readonly port: number;
}

/**
 * Receives one forwarded connection. The handler owns the stream: it reads
 * and writes it and ends or destroys it when the connection is over.
 */
export type PodPortHandler = (stream: Duplex, target: PodPortTarget) => void;

/** Per-cluster registry of exact (namespace, pod, port) entries; empty and unallocated until used. */
export class PodPorts {
  private entries?: Map<string, PodPortHandler>;

  /** Serves a pod's port; returns the function that stops serving it. */
  serve(namespace: string, pod: string, port: number, handler: PodPortHandler): () => void {
    const key = entryKey(namespace, pod, port);
    (this.entries ??= new Map()).set(key, handler);
    return () => {
      if (this.entries?.get(key) === handler) this.entries.delete(key);
    };
  }

  find(namespace: string, pod: string, port: number): PodPortHandler | undefined {
    return this.entries?.get(entryKey(namespace, pod, port));
  }
}

function entryKey(namespace: string, pod: string, port: number): string {
  return `${namespace}/${pod}:${port}`;
}
