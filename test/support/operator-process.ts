import { join } from 'node:path';
import { ManagedProcess } from '../harness/processes.js';
import { REPO_ROOT } from '../harness/tools.js';

export interface OperatorProcessOptions {
  readonly kubeconfigPath: string;
  readonly portRange: string;
  readonly probePort: number;
  readonly logFile: string;
  /** Flags after the common ones (e.g. `--store file:<dir>`). */
  readonly extraArgs?: readonly string[];
}

/**
 * `fkas operator` as its own process from the sources (tsx), against a
 * management cluster, with no legacy API: what specs that kill and restart
 * the operator start, again with the same options each time.
 */
export function startOperatorProcess(opts: OperatorProcessOptions): ManagedProcess {
  const p = new ManagedProcess(
    'fkas-operator',
    process.execPath,
    [
      ...['--import', 'tsx', join(REPO_ROOT, 'src/cli/main.ts'), 'operator', ...(opts.extraArgs ?? [])],
      ...['--kubeconfig', opts.kubeconfigPath, '--port-range', opts.portRange, '--probe-port', String(opts.probePort), '--shim-port', '0'],
    ],
    opts.logFile,
  );
  p.start();
  return p;
}
