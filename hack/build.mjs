#!/usr/bin/env node
// `npm run build`: bundles fkas into one ES module, dist/fkas.js (plus dist/chunks/ for what
// only some runs import), and copies the data files it reads at run time beside it (src/assets.ts finds them by their repository-relative path).
//
// Why a bundle and not tsc's one-file-per-module output: @kubernetes/client-node 1.x loads ~700
// generated modules (~27 MiB of heap, ~2 s) when imported whole, and the operator needs its
// KubeConfig only; esbuild keeps what is used (measured: +9.7 MiB heap, 0.4 s). A process
// serving thousands of fake clusters starts faster and carries less. Type checking stays
// `npm run typecheck`; this step only transpiles.
import { cpSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import process from 'node:process';
import { fileURLToPath, URL } from 'node:url';
import { build } from 'esbuild';

const root = fileURLToPath(new URL('..', import.meta.url));
const dist = join(root, 'dist');

/**
 * Packages that locate their own files with __dirname (gRPC's and etcd3's .proto files) stay
 * in node_modules and are imported from there.
 */
const EXTERNAL = ['@grpc/grpc-js', '@grpc/proto-loader', 'etcd3', 'protobufjs'];

/** Data files read at run time, by repository-relative path. */
const ASSETS = ['crds', 'src/operator/workload/templates', 'src/simulator/schema/kube-types.json', 'src/simulator/auth/bootstrap-rbac.json'];

/**
 * @dot-i/k8s-operator requires its own @kubernetes/client-node 0.20 whole: every generated API class
 * (2 MB of a 7 MB bundle, parsed at every start and kept as source in the heap) for the five names
 * it uses. Inside that copy only, these point its imports at hack/bundle/ stand-ins that load what
 * it uses.
 */
const DOT_I = /[\\/]@dot-i[\\/]k8s-operator[\\/]/;
const DOT_I_CLIENT = /[\\/]@dot-i[\\/]k8s-operator[\\/]node_modules[\\/]@kubernetes[\\/]client-node[\\/]dist[\\/]/;
const standIn = (file) => ({ path: join(root, 'hack/bundle', file) });
const slimDotIClient = {
  name: 'slim-dot-i-client-node',
  setup(b) {
    b.onResolve({ filter: /^@kubernetes\/client-node$/ }, (a) =>
      DOT_I.test(a.importer) && !DOT_I_CLIENT.test(a.importer) ? standIn('dot-i-client-node.cjs') : undefined,
    );
    b.onResolve({ filter: /^gaxios$/ }, (a) => (DOT_I.test(a.importer) && !DOT_I_CLIENT.test(a.importer) ? standIn('dot-i-gaxios.cjs') : undefined));
    b.onResolve({ filter: /^\.\/api$/ }, (a) => (DOT_I_CLIENT.test(a.importer) && a.importer.endsWith('config.js') ? standIn('empty.cjs') : undefined));
    b.onResolve({ filter: /^\.\/apis$/ }, (a) => (DOT_I_CLIENT.test(a.importer) ? standIn('dot-i-http-error.cjs') : undefined));
  },
};

rmSync(dist, { recursive: true, force: true });
await build({
  entryPoints: { fkas: join(root, 'src/cli/main.ts') },
  outdir: dist,
  // A dynamic import() becomes a chunk of its own, loaded when it runs: the etcd store's code
  // (and the etcd3 and gRPC packages it imports) costs nothing at start unless --store etcd: is used.
  splitting: true,
  chunkNames: 'chunks/[name]-[hash]',
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  external: EXTERNAL,
  plugins: [slimDotIClient],
  // CommonJS dependencies inside an ES module bundle still call require().
  banner: { js: "import { createRequire as __fkasCreateRequire } from 'node:module'; const require = __fkasCreateRequire(import.meta.url);" },
  // Whitespace and comments are most of the 12 MB unminified bundle, and V8 keeps a module's
  // source in the heap for as long as it runs (one non-Latin-1 character in a comment doubles
  // that). Names are kept so stack traces stay readable; licences go to fkas.js.LEGAL.txt.
  minifyWhitespace: true,
  minifySyntax: true,
  legalComments: 'linked',
  sourcemap: 'linked',
  logLevel: 'warning',
});
for (const asset of ASSETS) {
  const target = join(dist, asset);
  mkdirSync(join(target, '..'), { recursive: true });
  cpSync(join(root, asset), target, { recursive: true, filter: (src) => !src.endsWith('.ts') });
}
writeFileSync(join(dist, '.build-stamp'), `${new Date().toISOString()}\n`);
process.exitCode = 0;
