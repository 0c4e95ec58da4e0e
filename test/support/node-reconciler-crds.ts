import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { moduleCrds } from '../harness/module-crds.js';
import { REPO_ROOT } from '../harness/tools.js';
import type { KubeObject } from '../../src/simulator/store/object.js';

/**
 * The CRDs the node reconcilers watch, exactly as their projects publish
 * them, from the Go module proxy at the versions pinned in
 * hack/tools/versions.env.
 */

const BMO_MODULE = 'github.com/metal3-io/baremetal-operator';
const CAPM3_MODULE = 'github.com/metal3-io/cluster-api-provider-metal3';
const CAPI_MODULE = 'sigs.k8s.io/cluster-api';

/**
 * The proxy serves CAPM3 v1.13.2, but the checksum database it fronts has no
 * entry for it (a 404 that makes `go mod download` refuse the module). Only
 * for that module, download without the checksum database; everything else
 * stays verified.
 */
function skipChecksumDatabaseFor(module: string): void {
  const current = process.env.GONOSUMDB ? process.env.GONOSUMDB.split(',') : [];
  if (!current.includes(module)) process.env.GONOSUMDB = [...current, module].join(',');
}

/**
 * A version from hack/tools/versions.env. Read here rather than with the
 * harness's versions(), whose key pattern has no digits (CAPM3_VERSION).
 */
function pinned(name: string): string {
  const text = readFileSync(join(REPO_ROOT, 'hack/tools/versions.env'), 'utf8');
  const found = text.split('\n').map((l) => /^([A-Z0-9_]+)=(\S+)/.exec(l)).find((m) => m?.[1] === name)?.[2];
  if (!found) throw new Error(`${name} is not pinned in hack/tools/versions.env`);
  return found;
}

/** BareMetalHost (baremetal-operator) and Metal3Machine (CAPM3). */
export async function metal3Crds(): Promise<KubeObject[]> {
  skipChecksumDatabaseFor(CAPM3_MODULE);
  const [hosts, machines] = await Promise.all([
    moduleCrds(BMO_MODULE, pinned('BAREMETAL_OPERATOR_VERSION'), 'config/base/crds/bases', { accept: (f) => f === 'metal3.io_baremetalhosts.yaml' }),
    moduleCrds(CAPM3_MODULE, pinned('CAPM3_VERSION'), 'config/crd/bases', { accept: (f) => f === 'infrastructure.cluster.x-k8s.io_metal3machines.yaml' }),
  ]);
  return [...hosts, ...machines];
}

/** CAPI's Machine and Cluster. */
export async function capiCrds(): Promise<KubeObject[]> {
  return moduleCrds(CAPI_MODULE, pinned('CLUSTER_API_VERSION'), 'config/crd/bases', {
    accept: (f) => f === 'cluster.x-k8s.io_machines.yaml' || f === 'cluster.x-k8s.io_clusters.yaml',
  });
}
