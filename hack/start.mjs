#!/usr/bin/env node
// `npm start` / `npm run fkas`: runs the compiled fkas (dist/), compiling it first when dist/ is
// missing or older than any source, so a newcomer's `npm ci && npm start` and a developer's edit
// both run what the sources say, and a warm start costs no TypeScript compilation.
import { spawnSync } from 'node:child_process';
import console from 'node:console';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import process from 'node:process';
import { fileURLToPath, pathToFileURL, URL } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const STAMP = join(root, 'dist/.build-stamp');
const SOURCES = ['src', 'crds', 'package.json', 'package-lock.json', 'hack/build.mjs', 'hack/bundle'];

function newestMtime(path) {
  const st = statSync(path, { throwIfNoEntry: false });
  if (!st) return 0;
  if (!st.isDirectory()) return st.mtimeMs;
  let newest = st.mtimeMs;
  for (const entry of readdirSync(path)) newest = Math.max(newest, newestMtime(join(path, entry)));
  return newest;
}

const built = statSync(STAMP, { throwIfNoEntry: false })?.mtimeMs ?? 0;
if (SOURCES.some((s) => newestMtime(join(root, s)) > built)) {
  console.error('[fkas] compiling (dist/ is missing or older than the sources): npm run build');
  const r = spawnSync('npm', ['run', '--silent', 'build'], { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) process.exit(r.status ?? 1);
}
await import(pathToFileURL(join(root, 'dist/fkas.js')).href);
