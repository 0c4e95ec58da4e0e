import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { binary, REPO_ROOT } from '../harness/tools.js';

/**
 * The GitOps health verdicts of Kubernetes objects, computed by the real
 * libraries: bin/kstatus (sigs.k8s.io/cli-utils, what Flux uses) and
 * bin/argo-health (gopher-lua, the interpreter Argo CD embeds, running our
 * examples/argocd health check). Both are built by `npm run tools` from
 * hack/tools/health.
 */

export interface HealthVerdict {
  readonly object: string;
  readonly status: string;
  readonly message: string;
}

/** The Argo CD health check we ship, for both kinds. */
export const ARGO_HEALTH_SCRIPT = join(REPO_ROOT, 'examples/argocd/health/fkas-health.lua');

export function kstatus(obj: unknown): Promise<HealthVerdict> {
  return runVerdict('kstatus', [], obj);
}

export function argoHealth(obj: unknown): Promise<HealthVerdict> {
  return runVerdict('argo-health', [ARGO_HEALTH_SCRIPT], obj);
}

function runVerdict(tool: string, args: string[], obj: unknown): Promise<HealthVerdict> {
  const path = binary(tool);
  if (!existsSync(path)) throw new Error(`${path} is missing: run \`npm run tools\` (it builds kstatus and argo-health with kube-apiserver)`);
  return new Promise((resolve, reject) => {
    const child = spawn(path, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code !== 0) reject(new Error(`${tool} exited ${code}: ${err.trim()}`));
      else resolve(JSON.parse(out.trim().split('\n')[0]!) as HealthVerdict);
    });
    child.stdin.end(JSON.stringify(obj));
  });
}
