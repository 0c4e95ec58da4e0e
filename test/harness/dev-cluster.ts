import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { startCapi, type CapiManagers } from './capi.js';
import { startControlPlane } from './control-plane.js';
import { REPO_ROOT } from './tools.js';

/**
 * `npm run dev:cluster [-- --capi]`: the test suites' real control plane for
 * a person — run the operator against a real kube-apiserver on a laptop
 * without kind. Ctrl-C stops everything it started.
 */

const USAGE = `usage: npm run dev:cluster [-- --capi] [--no-crds]
  --capi       also run the Cluster API core, KubeadmControlPlane and kubeadm bootstrap managers
  --no-crds    do not install metal3-fkas's CRDs`;

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { capi: { type: 'boolean', default: false }, 'no-crds': { type: 'boolean', default: false }, help: { type: 'boolean', default: false } } });
  if (values.help) {
    console.log(USAGE);
    return;
  }
  const cp = await startControlPlane({ withControllerManager: true, crds: values['no-crds'] ? [] : [join(REPO_ROOT, 'crds')] });
  let capi: CapiManagers | undefined;
  try {
    if (values.capi) capi = await startCapi(cp);
  } catch (err) {
    await cp.stop();
    throw err;
  }
  console.log(`kube-apiserver ready at ${cp.server}${capi ? ` with Cluster API ${capi.version}` : ''}
  export KUBECONFIG=${cp.kubeconfigPath}
  kubectl get crds
  npm run fkas -- operator --kubeconfig ${cp.kubeconfigPath}
logs: ${cp.dir}  (Ctrl-C stops everything)`);
  const stop = async (): Promise<void> => {
    await capi?.stop();
    await cp.stop();
    process.exit(0);
  };
  process.once('SIGINT', () => void stop());
  process.once('SIGTERM', () => void stop());
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : String(err));
  process.exit(1);
});
