import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { startControlPlane } from '../test/harness/control-plane.js';
import { REPO_ROOT } from '../test/harness/tools.js';

/**
 * `npx tsx hack/rbac-defaults.ts`: records the RBAC objects a real
 * kube-apiserver (the version `npm run tools` builds) bootstraps, into
 * src/simulator/auth/bootstrap-rbac.json. Fake clusters start with them.
 * Server-set fields (uid, resourceVersion, timestamps, managedFields) are
 * dropped; aggregated ClusterRoles (admin, edit, view) are stored with empty
 * rules, as the apiserver writes them: the fake cluster aggregates them.
 */

const KINDS = ['clusterroles', 'clusterrolebindings', 'roles', 'rolebindings'] as const;
const OUTPUT = join(REPO_ROOT, 'src/simulator/auth/bootstrap-rbac.json');

interface Listed {
  items: { metadata: Record<string, unknown> }[];
}

function strip(o: { metadata: Record<string, unknown> }): unknown {
  const { name, namespace, labels, annotations } = o.metadata;
  return { ...o, metadata: { name, ...(namespace ? { namespace } : {}), ...(labels ? { labels } : {}), ...(annotations ? { annotations } : {}) } };
}

const cp = await startControlPlane();
try {
  const out: Record<string, unknown[]> = {};
  for (const kind of KINDS) {
    const { stdout } = await promisify(execFile)('kubectl', ['--kubeconfig', cp.kubeconfigPath, 'get', kind, '-A', '-o', 'json'], {
      maxBuffer: 64 * 1024 * 1024,
    });
    out[kind] = (JSON.parse(stdout) as Listed).items.map(strip);
  }
  const { stdout: version } = await promisify(execFile)('kubectl', ['--kubeconfig', cp.kubeconfigPath, 'version', '-o', 'json']);
  const serverVersion = (JSON.parse(version) as { serverVersion: { gitVersion: string } }).serverVersion.gitVersion;
  await writeFile(OUTPUT, `${JSON.stringify({ recordedFrom: `kube-apiserver ${serverVersion}`, ...out })}\n`);
  console.log(`wrote ${OUTPUT}: ${KINDS.map((k) => `${out[k]!.length} ${k}`).join(', ')}`);
} finally {
  await cp.stop();
}
