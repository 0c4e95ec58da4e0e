import { execFile } from 'node:child_process';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { loadAll } from 'js-yaml';
import type { KubeObject } from '../../src/simulator/store/object.js';

/**
 * CRDs as their projects publish them, read from the Go module proxy's copy
 * of their source (`go mod download`), never written by hand: tests install
 * exactly what users install.
 */

const run = promisify(execFile);
/** A cold download of a big module (cluster-api) can take a while on a slow proxy. */
const DOWNLOAD_TIMEOUT_MS = 10 * 60_000;

const moduleDirs = new Map<string, Promise<string>>();

/** The unpacked source of `module@version` in the Go module cache (downloaded once). */
export function moduleDir(module: string, version: string): Promise<string> {
  const key = `${module}@${version}`;
  let dir = moduleDirs.get(key);
  if (!dir) {
    dir = run('go', ['mod', 'download', '-json', key], { timeout: DOWNLOAD_TIMEOUT_MS, maxBuffer: 16 * 1024 * 1024, env: { ...process.env, GOFLAGS: '-mod=mod' } })
      .then(({ stdout }) => {
        const info = JSON.parse(stdout) as { Dir?: string; Error?: string };
        if (!info.Dir) throw new Error(`go mod download ${key} failed: ${info.Error ?? stdout}`);
        return info.Dir;
      });
    moduleDirs.set(key, dir);
    dir.catch(() => moduleDirs.delete(key));
  }
  return dir;
}

/** Every object in the YAML files of `dir` (one level) whose file name passes `accept`. */
export async function yamlObjectsIn(dir: string, accept: (file: string) => boolean = () => true): Promise<KubeObject[]> {
  const files = (await readdir(dir)).filter((f) => /\.ya?ml$/.test(f) && accept(f)).sort();
  const objects: KubeObject[] = [];
  for (const f of files) {
    for (const doc of loadAll(await readFile(join(dir, f), 'utf8'))) {
      if (doc && typeof doc === 'object') objects.push(doc as KubeObject);
    }
  }
  return objects;
}

/**
 * The CRDs of a module's kubebuilder `config/crd/bases`-style folder.
 * `labels` are merged into each CRD: the release process adds some with
 * kustomize (CAPI's contract labels), and a test must add them the same way.
 */
export async function moduleCrds(
  module: string,
  version: string,
  folder: string,
  opts: { accept?: (file: string) => boolean; labels?: Readonly<Record<string, string>> } = {},
): Promise<KubeObject[]> {
  const dir = join(await moduleDir(module, version), folder);
  const crds = (await yamlObjectsIn(dir, opts.accept)).filter((o) => o.kind === 'CustomResourceDefinition');
  if (crds.length === 0) throw new Error(`no CustomResourceDefinition in ${dir}: has ${module} moved its CRDs?`);
  if (opts.labels) {
    for (const crd of crds) crd.metadata.labels = { ...crd.metadata.labels, ...opts.labels };
  }
  return crds;
}
