import { existsSync, readFileSync } from 'node:fs';
import http from 'node:http';
import type { KubeClient } from '../operator/kube/client.js';
import { DEFAULT_LEASE_NAME, LeaderElector } from '../operator/leader-election.js';
import type { Logger } from '../telemetry/logger.js';

/**
 * `--leader-elect`: only the replica holding the Lease serves fake clusters.
 * A standby answers /healthz (it is alive) and 503 on /readyz (it serves
 * nothing) until it leads, so Kubernetes neither restarts it nor sends it
 * traffic.
 */

const SERVICE_ACCOUNT_NAMESPACE_FILE = '/var/run/secrets/kubernetes.io/serviceaccount/namespace';

/** The namespace for the Lease: the flag, else $POD_NAMESPACE, else the pod's own, else `default`. */
export function leaseNamespace(flag: string | undefined): string {
  if (flag) return flag;
  if (process.env.POD_NAMESPACE) return process.env.POD_NAMESPACE;
  if (existsSync(SERVICE_ACCOUNT_NAMESPACE_FILE)) return readFileSync(SERVICE_ACCOUNT_NAMESPACE_FILE, 'utf8').trim();
  return 'default';
}

export interface LeadershipOptions {
  readonly client: KubeClient;
  readonly namespace: string;
  readonly leaseName?: string;
  readonly probeHost: string;
  readonly probePort: number;
  readonly log: Logger;
  /** Runs once if leadership is lost after it was won. */
  readonly onLost: () => void;
}

export async function waitForLeadership(opts: LeadershipOptions): Promise<LeaderElector> {
  const elector = new LeaderElector({ client: opts.client, namespace: opts.namespace, name: opts.leaseName ?? DEFAULT_LEASE_NAME, log: opts.log });
  const standby = http.createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (path === '/healthz' || path === '/livez') res.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
    else res.writeHead(503, { 'content-type': 'text/plain' }).end(`standby: ${elector.identity} is waiting for the Lease ${opts.namespace}/${opts.leaseName ?? DEFAULT_LEASE_NAME}`);
  });
  await new Promise<void>((resolve, reject) => {
    standby.once('error', reject);
    standby.listen(opts.probePort, opts.probeHost, () => resolve());
  });
  try {
    await elector.acquire(opts.onLost);
  } finally {
    // The operator's own probe server takes the port over.
    standby.closeAllConnections();
    await new Promise<void>((resolve) => standby.close(() => resolve()));
  }
  return elector;
}
