import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

/** Where the Go-built components live, and building them when they are missing. */

export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const BIN_DIR = join(REPO_ROOT, 'bin');
const BUILD_SCRIPT = join(REPO_ROOT, 'hack/tools/build.sh');
/** A cold build of kube-apiserver on 2 cores takes minutes. */
const BUILD_TIMEOUT_MS = 45 * 60_000;

export function versions(): Record<string, string> {
  const text = readFileSync(join(REPO_ROOT, 'hack/tools/versions.env'), 'utf8');
  return Object.fromEntries(text.split('\n').filter((l) => /^[A-Z0-9_]+=/.test(l)).map((l) => l.split('=') as [string, string]));
}

function upToDate(name: string, version: string): boolean {
  const stamp = join(BIN_DIR, `.stamp-${name}`);
  return existsSync(join(BIN_DIR, name)) && existsSync(stamp) && readFileSync(stamp, 'utf8').trim() === version;
}

/**
 * Builds the `kube` or `capi` set unless every binary of it is already built at the pinned version.
 * The `health` set (kstatus, argo-health) is stamped with a hash of its sources, which build.sh
 * computes: it always asks build.sh, a no-op in a second when nothing changed.
 */
export async function ensureTools(set: 'kube' | 'capi' | 'health'): Promise<void> {
  if (set === 'health') {
    await promisify(execFile)('bash', [BUILD_SCRIPT, set], { timeout: BUILD_TIMEOUT_MS, maxBuffer: 64 * 1024 * 1024 });
    return;
  }
  const v = versions();
  const needed: [string, string][] =
    set === 'kube'
      ? [
          ['kube-apiserver', v.KUBERNETES_VERSION!],
          ['kube-controller-manager', v.KUBERNETES_VERSION!],
          ['etcd', v.ETCD_VERSION!],
          ['etcdctl', v.ETCD_VERSION!],
        ]
      : ['capi-manager', 'capi-kubeadm-control-plane', 'capi-kubeadm-bootstrap', 'clusterctl'].map((n) => [n, v.CLUSTER_API_VERSION!]);
  if (needed.every(([n, ver]) => upToDate(n, ver))) return;
  await promisify(execFile)('bash', [BUILD_SCRIPT, set], { timeout: BUILD_TIMEOUT_MS, maxBuffer: 64 * 1024 * 1024 });
}

export const binary = (name: string): string => join(BIN_DIR, name);
