import { expect } from 'chai';
import fc from 'fast-check';
import { inPool, startShimFixture, type ShimAnswer, type ShimFixture } from './shim-fixture.js';

/**
 * Property: whatever broken body a client sends to the legacy shim, it gets
 * a 4xx with a JSON {error} within 2 s, and no FakeAPIServer or FakeNode is
 * created or changed. Every body starts valid and has at least one field
 * broken in a way the API server or the CRD would refuse, so none of them
 * may succeed.
 */

const RUNS_PER_ENDPOINT = Number(process.env.FKAS_FUZZ_RUNS ?? 1_000);
const SEED = Number(process.env.FKAS_FUZZ_SEED ?? Date.now() % 2 ** 31);
const CONCURRENCY = 8;
const ANSWER_WITHIN_MS = 2_000;
const MAX_BODY_BYTES = 64 * 1024;
const CLUSTER = 'fuzz';

type Body = Record<string, unknown>;
/** One way to break a body: set a field to a bad value, drop a required field, or replace the whole body by raw text. */
type Break = { readonly set: string; readonly value: unknown } | { readonly drop: string } | { readonly raw: string };

const lower = 'abcdefghijklmnopqrstuvwxyz0123456789';
const dnsLabel = fc.stringMatching(/^[a-z]([-a-z0-9]{0,14}[a-z0-9])?$/);
const subdomain = fc.array(dnsLabel, { minLength: 1, maxLength: 3 }).map((parts) => parts.join('.'));
const alnum = (min: number, max: number): fc.Arbitrary<string> => fc.string({ unit: fc.constantFrom(...lower), minLength: min, maxLength: max });

/** Characters no DNS name, label key or label value may hold: upper case, punctuation, control, unicode. */
const badChar = fc.oneof(
  fc.constantFrom('A', 'Z', '_', ' ', '/', '@', ':', '*', '%', '+', '=', ',', '\u0000', '\t', '\n', 'é', 'ß', '😀', '\u202e', '\u200b'),
  fc.string({ unit: 'grapheme', minLength: 1, maxLength: 2 }).filter((s) => /[^\x20-\x7e]/.test(s)),
);
/** Label keys and values may hold upper case and '_' (and '.', '-') inside; '/' separates a key's prefix. */
const badLabelChar = badChar.filter((c) => !/[-_./A-Za-z0-9]/.test(c));
const withBadChar = (valid: fc.Arbitrary<string>, bad: fc.Arbitrary<string> = badChar): fc.Arbitrary<string> => fc.tuple(valid, bad, fc.nat()).map(([v, c, i]) => `${v.slice(0, i % (v.length + 1))}${c}${v.slice(i % (v.length + 1))}`);
/** A value of the wrong JSON type (never null, which means "not given" for optional fields). */
const wrongType = fc.oneof(
  fc.integer(),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.boolean(),
  fc.array(fc.jsonValue({ maxDepth: 3 }), { maxLength: 4 }),
  fc.dictionary(fc.string({ maxLength: 8 }), fc.jsonValue({ maxDepth: 3 }), { maxKeys: 4 }),
);
/** Junk nested in a field (the raw bodies nest up to 30,000 deep; JSON.stringify here would overflow the stack far below that). */
const nestedJunk = fc.integer({ min: 100, max: 1_000 }).map((depth) => JSON.parse(`${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`) as unknown);

const badDnsLabel = fc.oneof(
  withBadChar(dnsLabel),
  dnsLabel.map((v) => `-${v}`),
  dnsLabel.map((v) => `${v}-`),
  dnsLabel.map((v) => `${v}.${v}`),
  alnum(64, 400).map((v) => `a${v}`),
);
const badSubdomain = fc.oneof(
  withBadChar(subdomain),
  subdomain.map((v) => `.${v}`),
  subdomain.map((v) => `${v}..x`),
  subdomain.map((v) => `${v}-`),
  alnum(254, 600),
);
/** Valid DNS names that the fake cluster still cannot take as a Node (hostname label at most 63). */
const nodeNameTooLongForHostname = fc.array(alnum(20, 63), { minLength: 2, maxLength: 4 }).map((p) => `n${p.join('.')}`.slice(0, 253)).filter((n) => n.length > 63 && !n.endsWith('.'));
const badLabelKey = fc.oneof(
  fc.tuple(alnum(64, 120), fc.option(subdomain, { nil: undefined })).map(([name, prefix]) => (prefix ? `${prefix}/a${name}` : `a${name}`)),
  withBadChar(alnum(1, 20), badLabelChar).map((k) => `a${k}b`),
  fc.tuple(badSubdomain, alnum(1, 10)).map(([prefix, name]) => `${prefix}/a${name}`),
  fc.constantFrom('', '/', 'a/', '/a', '-a', 'a-', '__proto__', 'constructor/x/y', 'example.com//a'),
);
const badLabelValue = fc.oneof(alnum(64, 200), withBadChar(alnum(1, 20), badLabelChar).map((v) => `a${v}b`), fc.constantFrom('-a', 'a-', '.a', 'a.'));
const badLabels = fc.oneof(
  fc.tuple(badLabelKey, fc.constantFrom('', 'v')).map(([k, v]) => ({ ok: 'yes', [k]: v })),
  badLabelValue.map((v) => ({ ok: 'yes', bad: v })),
  fc.tuple(alnum(1, 10), fc.oneof(wrongType.filter((v) => typeof v !== 'string'), nestedJunk)).map(([k, v]) => ({ [`k${k}`]: v })),
  fc.oneof(fc.integer(), fc.boolean(), fc.array(fc.string(), { minLength: 0, maxLength: 3 })),
  fc.tuple(alnum(1, 10), badLabelValue).map(([k, v]) => `ok=yes,k${k}=${v}`),
  alnum(1, 20).map((k) => `ok=yes,${k}`),
  badLabelKey.filter((k) => !k.includes(',') && !k.includes('=') && k.trim() === k && k !== '').map((k) => `${k}=v`),
);
const notAVersion = fc.string({ minLength: 1, maxLength: 40 }).filter((s) => !/^v?\d+\.\d+\.\d+([-+][0-9A-Za-z.+-]+)?$/u.test(s));
const notARole = fc.string({ minLength: 1, maxLength: 30 }).filter((s) => s !== 'control-plane' && s !== 'worker');
const badUuid = fc.oneof(alnum(64, 200), withBadChar(alnum(1, 30), badLabelChar).map((v) => `a${v}b`), wrongType);

/** Replacing the whole body: not JSON, JSON that is no object, nesting, oversize. */
const badRawBody = fc.oneof(
  fc.string({ maxLength: 200 }).filter((s) => {
    try {
      JSON.parse(s);
      return false;
    } catch {
      return true;
    }
  }),
  fc.oneof(fc.jsonValue().filter((v) => typeof v !== 'object' || v === null || Array.isArray(v)), fc.array(fc.jsonValue(), { maxLength: 3 })).map((v) => JSON.stringify(v) ?? 'null'),
  fc.integer({ min: 1_000, max: 30_000 }).map((n) => `${'['.repeat(n)}${']'.repeat(n)}`),
  fc.integer({ min: MAX_BODY_BYTES + 1, max: MAX_BODY_BYTES * 2 }).map((n) => JSON.stringify({ cluster: 'x'.repeat(n), namespace: 'default' })),
  fc.constant(''),
);

const requiredBreaks = (field: string, bad: fc.Arbitrary<unknown>): fc.Arbitrary<Break>[] => [
  bad.map((value) => ({ set: field, value })),
  fc.oneof(wrongType, nestedJunk).map((value) => ({ set: field, value })),
  fc.constantFrom<Break>({ drop: field }, { set: field, value: null }, { set: field, value: '' }),
];
const optionalBreaks = (field: string, bad: fc.Arbitrary<unknown>, wrong: fc.Arbitrary<unknown> = fc.oneof(wrongType, nestedJunk)): fc.Arbitrary<Break>[] => [
  bad.map((value) => ({ set: field, value })),
  wrong.map((value) => ({ set: field, value })),
];
/** Labels may be an object: a wrong type for them is anything but an object or a string. */
const notLabelsType = fc.oneof(fc.integer(), fc.double({ noNaN: true, noDefaultInfinity: true }), fc.boolean(), fc.array(fc.jsonValue({ maxDepth: 3 }), { maxLength: 4 }));

const registerBase = fc.record({ cluster: dnsLabel, namespace: fc.constant('default') });
const registerBreak: fc.Arbitrary<Break> = fc.oneof(
  ...requiredBreaks('cluster', badDnsLabel),
  ...requiredBreaks('namespace', fc.oneof(badDnsLabel, dnsLabel.map((n) => `missing-${n}`))),
  badRawBody.map((raw) => ({ raw })),
);

const updateNodeBase = fc.record(
  {
    cluster: fc.constant(CLUSTER),
    namespace: fc.constant('default'),
    nodeName: subdomain,
    providerID: fc.string({ minLength: 1, maxLength: 40 }).map((s) => `metal3://${s}`),
    uuid: alnum(1, 36),
    labels: fc.dictionary(alnum(1, 10), alnum(0, 10), { maxKeys: 3 }),
    k8sversion: fc.constantFrom('v1.32.0', '1.31.2', 'v1.30.1-rc.1'),
    role: fc.constantFrom('control-plane', 'worker'),
  },
  { requiredKeys: ['cluster', 'namespace', 'nodeName', 'providerID'] },
);
const updateNodeBreak: fc.Arbitrary<Break> = fc.oneof(
  ...requiredBreaks('cluster', fc.oneof(badDnsLabel, dnsLabel.map((n) => `unregistered-${n}`))),
  ...requiredBreaks('namespace', fc.oneof(badDnsLabel, dnsLabel.map((n) => `missing-${n}`))),
  ...requiredBreaks('nodeName', fc.oneof(badSubdomain, nodeNameTooLongForHostname)),
  ...requiredBreaks('providerID', alnum(1_025, 3_000)),
  ...optionalBreaks('uuid', badUuid),
  ...optionalBreaks('labels', badLabels, notLabelsType),
  ...optionalBreaks('k8sversion', notAVersion),
  ...optionalBreaks('role', notARole),
  badRawBody.map((raw) => ({ raw })),
);

/** A valid body with one to three breaks applied; what to send (a string is sent as it is). */
function broken(base: fc.Arbitrary<Body>, breaks: fc.Arbitrary<Break>): fc.Arbitrary<string> {
  return fc.tuple(base, fc.array(breaks, { minLength: 1, maxLength: 3 })).map(([valid, list]) => {
    const raw = list.find((b): b is { raw: string } => 'raw' in b);
    if (raw) return raw.raw;
    const body: Body = { ...valid };
    for (const b of list) {
      if ('drop' in b) delete body[b.drop];
      else if ('set' in b) body[b.set] = b.value;
    }
    return JSON.stringify(body);
  });
}

interface Outcome {
  readonly body: string;
  readonly answer?: ShimAnswer;
  readonly error?: string;
}

function violation(o: Outcome): string | undefined {
  if (o.error) return `no answer: ${o.error}`;
  const a = o.answer!;
  if (a.status < 400 || a.status >= 500) return `status ${a.status}`;
  if (typeof a.json.error !== 'string' || a.json.error === '') return `no JSON {error}: ${JSON.stringify(a.json).slice(0, 200)}`;
  if (a.ms >= ANSWER_WITHIN_MS) return `answered after ${a.ms} ms`;
  return undefined;
}

/** The fuzz suite, against the embedded management API (test/api) or a real kube-apiserver (test/integration). */
export function shimFuzz(kubeconfig: () => string | undefined): void {
  describe('the legacy shim under generated bad bodies (fast-check)', function () {
    this.timeout(120_000);
    let f: ShimFixture;
    let snapshotBefore: Map<string, string>;

    before(async () => {
      const path = kubeconfig();
      f = await startShimFixture({ portRange: { min: 30300, max: 30399 }, informers: 'operator', ...(path ? { kubeconfigPath: path } : {}) });
      const r = await f.send('POST', '/register', { cluster: CLUSTER, namespace: 'default' });
      expect(r.status, JSON.stringify(r.json)).to.equal(200);
      snapshotBefore = await f.snapshot();
    });
    after(async () => f?.close());

    const endpoints: [string, string, fc.Arbitrary<string>][] = [
      ['POST', '/register', broken(registerBase, registerBreak)],
      ['PUT', '/updateNode', broken(updateNodeBase, updateNodeBreak)],
    ];
    for (const [method, path, bodies] of endpoints) {
      it(`answers ${RUNS_PER_ENDPOINT} broken ${method} ${path} bodies each with a 4xx JSON {error} within ${ANSWER_WITHIN_MS} ms, writing nothing`, async () => {
        const samples = fc.sample(bodies, { numRuns: RUNS_PER_ENDPOINT, seed: SEED });
        const started = Date.now();
        const outcomes = await inPool(samples, CONCURRENCY, async (body): Promise<Outcome> => {
          try {
            return { body, answer: await f.send(method, path, body) };
          } catch (err) {
            return { body, error: (err as Error).message };
          }
        });
        const statuses = new Map<number, number>();
        for (const o of outcomes) if (o.answer) statuses.set(o.answer.status, (statuses.get(o.answer.status) ?? 0) + 1);
        const slowest = Math.max(...outcomes.map((o) => o.answer?.ms ?? 0));
        console.log(`      seed ${SEED}: ${outcomes.length} bodies in ${Date.now() - started} ms, slowest ${slowest} ms; ${[...statuses].map(([s, n]) => `${n} × ${s}`).join(', ')}`);
        const bad = outcomes.map((o) => [violation(o), o.body.slice(0, 300)] as const).filter(([v]) => v !== undefined);
        expect(bad.slice(0, 5), `${bad.length} of ${outcomes.length} bodies broke the property (FKAS_FUZZ_SEED=${SEED} repeats them)`).to.deep.equal([]);
        expect(outcomes.length).to.equal(RUNS_PER_ENDPOINT);
        expect(await f.snapshot()).to.deep.equal(snapshotBefore);
      });
    }

    it('is healthy afterwards: a valid /register and /updateNode still work, and nothing waits', async () => {
      expect((await f.send('POST', '/register', { cluster: 'fuzz-after', namespace: 'default' })).status).to.equal(200);
      expect((await f.send('PUT', '/updateNode', { cluster: CLUSTER, namespace: 'default', nodeName: 'after', providerID: 'metal3://after', role: 'worker' })).status).to.equal(200);
      expect(f.operator.isReady).to.equal(true);
      expect(f.shim.waiting()).to.equal(0);
    });
  });
}
