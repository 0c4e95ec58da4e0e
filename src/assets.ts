import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Data files (CRDs, workload templates, the Kubernetes type schema) are read
 * at run time, and the code that reads them runs from three layouts: the
 * sources under tsx, and the bundle `npm run build` writes into dist/ and
 * dist/chunks/ (with the data copied beside it at the same relative paths). A path is
 * therefore named from the repository root and found by walking up from the
 * running module, instead of relative to a source file the bundle no longer has.
 */
export function assetPath(fromRoot: string): string {
  const start = dirname(fileURLToPath(import.meta.url));
  for (let dir = start; ; dir = dirname(dir)) {
    const candidate = join(dir, fromRoot);
    if (existsSync(candidate)) return candidate;
    if (dirname(dir) === dir) {
      throw new Error(`data file ${fromRoot} not found above ${start}: run \`npm run build\` (it copies the data files into dist/)`);
    }
  }
}
