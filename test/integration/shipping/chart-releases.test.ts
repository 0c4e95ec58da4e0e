import { expect } from 'chai';
import { join } from 'node:path';
import type { KubeObject } from '../../../src/simulator/store/object.js';
import { REPO_ROOT } from '../../harness/tools.js';
import { helmTemplate, idOf, sh } from './support.js';

/**
 * Two releases of the Helm chart in one namespace stay apart: neither
 * release's Deployment nor its --service-selector (what the Services of
 * exposure: Service FakeAPIServers select) picks the other release's pods,
 * and no object of one has the name of an object of the other.
 */

const NAMESPACE = 'shared';
const RELEASES = ['fkas-a', 'fkas-b'] as const;
const SERVICE_SELECTOR_FLAG = '--service-selector=';

type Labels = Record<string, string>;

interface Release {
  readonly name: string;
  readonly objects: KubeObject[];
  readonly podLabels: Labels;
  readonly deploymentSelector: Labels;
  readonly serviceSelector: Labels;
}

interface DeploymentShape {
  spec: { selector: { matchLabels: Labels }; template: { metadata: { labels: Labels }; spec: { containers: { args: string[] }[] } } };
}

/** The operator's --service-selector value, key=value,... as its CLI reads it. */
function parseServiceSelector(args: readonly string[]): Labels {
  const arg = args.find((a) => a.startsWith(SERVICE_SELECTOR_FLAG));
  if (!arg) throw new Error(`no ${SERVICE_SELECTOR_FLAG} among ${args.join(' ')}`);
  return Object.fromEntries(
    arg
      .slice(SERVICE_SELECTOR_FLAG.length)
      .split(',')
      .map((kv) => kv.split('=') as [string, string]),
  );
}

async function render(name: string): Promise<Release> {
  const objects = await helmTemplate([], { release: name, namespace: NAMESPACE, crds: false });
  const deployments = objects.filter((o) => o.kind === 'Deployment') as unknown as DeploymentShape[];
  expect(deployments, `release ${name} renders one Deployment`).to.have.length(1);
  const { spec } = deployments[0]!;
  return {
    name,
    objects,
    podLabels: spec.template.metadata.labels,
    deploymentSelector: spec.selector.matchLabels,
    serviceSelector: parseServiceSelector(spec.template.spec.containers[0]!.args),
  };
}

/** A label selector of equality terms (matchLabels, a Service's selector) selects labels that carry every term. */
const selects = (selector: Labels, labels: Labels): boolean => Object.entries(selector).every(([k, v]) => labels[k] === v);

describe('the Helm chart installed twice in one namespace', function () {
  this.timeout(5 * 60_000);
  let releases: Release[] = [];

  before(async () => {
    // helm: built once from its Go module, then copied from the tools cache.
    await sh('bash', [join(REPO_ROOT, 'hack/tools/helm.sh')]);
    releases = await Promise.all(RELEASES.map(render));
  });

  it("each release's Deployment and --service-selector select its own pods", () => {
    for (const r of releases) {
      expect(selects(r.deploymentSelector, r.podLabels), `${r.name} Deployment selector`).to.equal(true);
      expect(selects(r.serviceSelector, r.podLabels), `${r.name} --service-selector`).to.equal(true);
    }
  });

  it("neither release's Deployment selector nor its --service-selector matches the other release's pods", () => {
    for (const r of releases) {
      for (const other of releases.filter((o) => o !== r)) {
        expect(selects(r.deploymentSelector, other.podLabels), `${r.name} Deployment selects ${other.name}'s pods`).to.equal(false);
        expect(selects(r.serviceSelector, other.podLabels), `${r.name} --service-selector selects ${other.name}'s pods`).to.equal(false);
      }
    }
  });

  it('the two releases share no object name', () => {
    const [a, b] = releases.map((r) => r.objects.map(idOf));
    expect(a, 'release fkas-a renders nothing').to.not.be.empty;
    expect(a!.filter((id) => b!.includes(id))).to.deep.equal([]);
  });
});
