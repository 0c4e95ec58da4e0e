import { expect } from 'chai';
import { writeFile } from 'node:fs/promises';
import { allowedFor } from './allowlist.js';
import { decodeKubernetesProtobuf, PROTOBUF_CONTENT_TYPE } from '../../../src/simulator/protobuf/decode.js';
import { differences, normaliseAnswer, type Answer, type Difference } from './normalise.js';
import { KUBECTL_SCENARIOS, runKubectl } from './kubectl.js';
import { SCENARIOS, SETUP, type Request } from './scenarios.js';
import { SEQUENCES } from './sequences.js';
import { startTargets, type Target, type Targets } from './targets.js';

/**
 * The differential suite: every scenario runs against a real kube-apiserver
 * v1.34 (RBAC on) and a fake cluster; the normalised answers must match,
 * or the difference must be in allowlist.ts with its reason. Prints
 * `N scenarios, M differences, K allowlisted`.
 */

/** Set to a file path to get every scenario with both answers and the differences, as JSON. */
const REPORT_FILE_ENV = 'FKAS_DIFFERENTIAL_OUT';

async function send(t: Target, r: Request): Promise<Answer> {
  const body = r.rawBody ?? (r.body !== undefined ? JSON.stringify(r.body) : undefined);
  const res = await t.clients[r.as].request(r.method, r.path, {
    ...(body !== undefined ? { body, contentType: r.contentType ?? 'application/json' } : {}),
    ...(r.token ? { token: r.token } : {}),
    ...(r.accept ? { accept: r.accept } : {}),
  });
  const header = res.headers['content-type'];
  const contentType = Array.isArray(header) ? header[0] : header;
  const answer = contentType?.startsWith(PROTOBUF_CONTENT_TYPE) ? normaliseProtobuf(res.status, contentType, res.bytes!) : normaliseAnswer(res.status, contentType, res.text);
  return r.presenceOnly ? { ...answer, body: '<not compared>' } : answer;
}

/** A protobuf answer, decoded by the simulator's own decoder (checked against client-go's encoder elsewhere) and normalised as JSON. */
function normaliseProtobuf(status: number, contentType: string, bytes: Buffer): Answer {
  try {
    return normaliseAnswer(status, 'application/json', JSON.stringify(decodeKubernetesProtobuf(bytes)));
  } catch (e) {
    return { status, contentType, body: `protobuf the decoder refuses: ${(e as Error).message}` };
  }
}

interface Outcome {
  readonly scenario: string;
  readonly real: unknown;
  readonly fake: unknown;
  readonly unexplained: Difference[];
  readonly allowlisted: (Difference & { reason: string })[];
}

describe('differential: a fake cluster answers as kube-apiserver v1.34 does', function () {
  this.timeout(300_000);
  let targets: Targets | undefined;
  const outcomes: Outcome[] = [];

  before(async () => {
    targets = await startTargets();
    for (const t of [targets.real, targets.fake]) {
      for (const step of SETUP) {
        const a = await send(t, step);
        if (a.status >= 300) throw new Error(`setup ${step.method} ${step.path} on ${t.name} answered ${a.status}: ${JSON.stringify(a.body)}`);
      }
    }
  });

  after(async () => {
    const differencesFound = outcomes.reduce((n, o) => n + o.unexplained.length, 0);
    const allowlisted = outcomes.reduce((n, o) => n + o.allowlisted.length, 0);
    console.log(`\n  ${outcomes.length} scenarios, ${differencesFound} differences, ${allowlisted} allowlisted`);
    const file = process.env[REPORT_FILE_ENV];
    if (file) await writeFile(file, JSON.stringify(outcomes, null, 2));
    await targets?.stop();
  });

  /** Records the outcome of one scenario and fails it on differences the allowlist does not explain. */
  function compare(scenario: string, real: unknown, fake: unknown): void {
    const unexplained: Difference[] = [];
    const allowlisted: (Difference & { reason: string })[] = [];
    for (const d of differences(real, fake)) {
      const allowed = allowedFor(scenario, d.path);
      if (allowed) allowlisted.push({ ...d, reason: allowed.reason });
      else unexplained.push(d);
    }
    outcomes.push({ scenario, real, fake, unexplained, allowlisted });
    expect(unexplained, `differences from kube-apiserver (real → fake):\n${unexplained.map((d) => `  ${d.path}: ${JSON.stringify(d.real)} → ${JSON.stringify(d.fake)}`).join('\n')}`).to.deep.equal([]);
  }

  for (const s of SCENARIOS) {
    it(s.name, async () => compare(s.name, await send(targets!.real, s), await send(targets!.fake, s)));
  }

  for (const s of SEQUENCES) {
    it(s.name, async () => compare(s.name, await s.run(targets!.real, (r) => send(targets!.real, r)), await s.run(targets!.fake, (r) => send(targets!.fake, r))));
  }

  for (const s of KUBECTL_SCENARIOS) {
    it(s.name, async () => compare(s.name, await runKubectl(targets!.real, s), await runKubectl(targets!.fake, s)));
  }
});
