import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { startControlPlane, type ControlPlane } from '../../harness/control-plane.js';
import { REPO_ROOT } from '../../harness/tools.js';
import { kustomize, SYSTEM_NAMESPACE } from './support.js';

/**
 * What the Makefile tells a newcomer to run works as written: every target
 * `make help` lists expands to well-formed commands (`make -n`), the image
 * targets name `<repository>:<architecture>`, and kubebuilder's install,
 * uninstall, deploy and undeploy do what they say against a real
 * kube-apiserver.
 */

const run = promisify(execFile);
/** `make deploy` and `make undeploy` wait for the API server; namespace deletion takes a few seconds. */
const MAKE_TIMEOUT_MS = 3 * 60_000;
const DEFAULT_REPOSITORY = 'quay.io/metal3-io/metal3-fkas';
const DEPLOYMENT = 'metal3-fkas-controller-manager';
/** The image tag of the original FKAS: Go's name for the machine's architecture. */
const GO_ARCH: Partial<Record<NodeJS.Architecture, string>> = { x64: 'amd64', arm64: 'arm64' };
const ARCH = GO_ARCH[process.arch] ?? process.arch;
const KUBEBUILDER_TARGETS = ['install', 'uninstall', 'deploy', 'undeploy', 'build-fkas', 'docker-build', 'docker-push', 'manifests'];

interface MakeResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

async function make(args: readonly string[], env: Record<string, string> = {}): Promise<MakeResult> {
  try {
    const { stdout, stderr } = await run('make', ['--no-print-directory', ...args], {
      cwd: REPO_ROOT,
      env: { ...process.env, ...env },
      timeout: MAKE_TIMEOUT_MS,
    });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === 'number' ? e.code : -1, stdout: e.stdout ?? '', stderr: e.stderr ?? String(err) };
  }
}

async function makeOk(args: readonly string[], env: Record<string, string> = {}): Promise<string> {
  const r = await make(args, env);
  expect(r.code, `make ${args.join(' ')}: ${r.stderr}`).to.equal(0);
  return r.stdout;
}

/** The targets `make help` documents, in its order. */
async function documentedTargets(): Promise<string[]> {
  const help = await makeOk(['help']);
  return [...help.matchAll(/^ {2}([a-zA-Z_-]+) +\S/gm)].map((m) => m[1]!);
}

/** bash parses the commands `make -n` printed: no unbalanced quotes or brackets, nothing cut short. */
async function expectBashSyntax(commands: string, what: string): Promise<void> {
  const r = await run('bash', ['-n', '-c', commands]).then(
    () => '',
    (err: { stderr?: string }) => err.stderr ?? 'bash -n failed',
  );
  expect(r, `${what} prints commands bash cannot parse:\n${commands}`).to.equal('');
}

describe('the Makefile, as README documents it', function () {
  this.timeout(10 * 60_000);

  describe('make -n: every documented target expands to well-formed commands', () => {
    let targets: string[] = [];
    before(async () => {
      targets = await documentedTargets();
    });

    it("lists kubebuilder's targets in make help", () => {
      expect(targets).to.include.members(KUBEBUILDER_TARGETS);
    });

    it('expands every listed target to commands bash parses, with no make variable left empty or unexpanded', async () => {
      expect(targets, 'make help lists nothing').to.not.be.empty;
      for (const target of targets) {
        const commands = await makeOk(['-n', target]);
        expect(commands.trim(), `make -n ${target} prints no command`).to.not.equal('');
        await expectBashSyntax(commands, `make -n ${target}`);
        // An unset variable expands to nothing: `-t  .`, `image: ` or `:amd64` would show it.
        expect(commands, `make -n ${target}`).to.not.match(/ -t +\.|image: *$|[ =]:[a-z0-9]/m);
      }
    });

    it(`names the image ${DEFAULT_REPOSITORY}:<arch> (${ARCH} here) in build-fkas, docker-build, docker-push and deploy`, async () => {
      const image = `${DEFAULT_REPOSITORY}:${ARCH}`;
      expect(await makeOk(['-n', 'build-fkas'])).to.equal(`docker build --build-arg TARGETARCH=${ARCH} -t ${image} .\n`);
      expect(await makeOk(['-n', 'docker-build'])).to.equal(`docker build --build-arg TARGETARCH=${ARCH} -t ${image} .\n`);
      expect(await makeOk(['-n', 'docker-push'])).to.equal(`docker push ${image}\n`);
      expect(await makeOk(['-n', 'deploy'])).to.include(`\\1${image}#`);
    });

    it('follows IMG_REPO, IMG, ARCH and CONTAINER_TOOL given on the command line or in the environment', async () => {
      expect(await makeOk(['-n', 'docker-push', 'IMG_REPO=example.com/fkas'])).to.equal(`docker push example.com/fkas:${ARCH}\n`);
      expect(await makeOk(['-n', 'docker-push', 'IMG=example.com/fkas:v1'])).to.equal('docker push example.com/fkas:v1\n');
      expect(await makeOk(['-n', 'build-fkas', 'ARCH=arm64', 'CONTAINER_TOOL=podman'])).to.equal(
        `podman build --build-arg TARGETARCH=arm64 -t ${DEFAULT_REPOSITORY}:arm64 .\n`,
      );
      expect(await makeOk(['-n', 'docker-push'], { IMG_REPO: 'example.com/env' })).to.equal(`docker push example.com/env:${ARCH}\n`);
    });
  });

  describe('install, uninstall, deploy and undeploy against a real kube-apiserver', () => {
    let cp: ControlPlane | undefined;
    let env: Record<string, string>;
    const kubectl = async (args: readonly string[]): Promise<string> => (await run('kubectl', [...args], { env: { ...process.env, ...env } })).stdout;
    const crdNames = async (): Promise<string[]> => (await kubectl(['get', 'crd', '-o', 'name'])).split('\n').filter(Boolean).sort();
    const deployedImage = (): Promise<string> =>
      kubectl(['-n', SYSTEM_NAMESPACE, 'get', 'deployment', DEPLOYMENT, '-o', 'jsonpath={.spec.template.spec.containers[0].image}']);
    const namespaceExists = async (): Promise<boolean> =>
      (await kubectl(['get', 'namespace', '-o', 'name'])).split('\n').includes(`namespace/${SYSTEM_NAMESPACE}`);

    before(async () => {
      // The namespace controller finishes `make undeploy`'s namespace deletion.
      cp = await startControlPlane({ withControllerManager: true });
      env = { KUBECONFIG: cp.kubeconfigPath };
    });
    after(async () => {
      await cp?.stop();
    });

    it('make install installs the CRDs of config/crd and nothing else; make uninstall removes them', async () => {
      const expected = (await kustomize('crd')).map((o) => `customresourcedefinition.apiextensions.k8s.io/${o.metadata.name}`).sort();
      expect(expected).to.have.length.above(0);
      await makeOk(['install'], env);
      expect(await crdNames()).to.deep.equal(expected);
      expect(await namespaceExists()).to.equal(false);
      await makeOk(['uninstall'], env);
      expect(await crdNames()).to.deep.equal([]);
    });

    it('make deploy IMG=example.com/x:tag runs exactly that image; make deploy IMG_REPO=... runs <repo>:<arch>', async () => {
      await makeOk(['deploy', 'IMG=example.com/x:tag'], env);
      expect(await deployedImage()).to.equal('example.com/x:tag');
      await makeOk(['deploy', 'IMG_REPO=example.com/y'], env);
      expect(await deployedImage()).to.equal(`example.com/y:${ARCH}`);
      await makeOk(['deploy'], env);
      expect(await deployedImage()).to.equal(`${DEFAULT_REPOSITORY}:${ARCH}`);
    });

    it('make undeploy removes the operator, its namespace and the CRDs', async () => {
      await makeOk(['undeploy'], env);
      expect(await namespaceExists()).to.equal(false);
      expect(await crdNames()).to.deep.equal([]);
      expect(await kubectl(['get', 'clusterrole', '-o', 'name'])).to.not.include('metal3-fkas');
    });

    it('make deploy with an IMG that is no image reference fails before it applies anything', async () => {
      const r = await make(['deploy', 'IMG=not an image'], env);
      expect(r.code).to.not.equal(0);
      expect(r.stderr).to.include("IMG 'not an image' is not an image reference");
      expect(await namespaceExists()).to.equal(false);
      expect(await crdNames()).to.deep.equal([]);
    });
  });
});
