import { expect } from 'chai';
import { StatusError } from '../../../src/simulator/api/errors.js';
import {
  fieldSelectorMatches,
  fieldValueOf,
  labelSelectorFromObject,
  labelSelectorMatches,
  parseFieldSelector,
  parseLabelSelector,
} from '../../../src/simulator/store/selectors.js';

const matches = (sel: string, labels?: Record<string, string>): boolean => labelSelectorMatches(parseLabelSelector(sel), labels);

describe('label selectors', () => {
  it('supports =, ==, !=, in, notin, exists and !exists, with whitespace and prefixed keys', () => {
    const labels = { app: 'web', 'app.kubernetes.io/part-of': 'capi', tier: 'gold' };
    expect(matches('app=web', labels)).to.equal(true);
    expect(matches('app == web , tier=gold', labels)).to.equal(true);
    expect(matches('app!=web', labels)).to.equal(false);
    expect(matches('tier in (gold, silver)', labels)).to.equal(true);
    expect(matches('tier notin (gold)', labels)).to.equal(false);
    expect(matches('app.kubernetes.io/part-of', labels)).to.equal(true);
    expect(matches('!app.kubernetes.io/part-of', labels)).to.equal(false);
    expect(matches('', labels)).to.equal(true);
  });

  it('lets objects without the label match != and notin, as Kubernetes does', () => {
    expect(matches('tier!=gold', {})).to.equal(true);
    expect(matches('tier notin (gold)', undefined)).to.equal(true);
    expect(matches('tier in (gold)', {})).to.equal(false);
  });

  it('refuses malformed selectors with 400', () => {
    for (const bad of ['tier in (gold', 'tier in gold', '=gold', 'app=we$b', 'a,,b', 'Bad Key=x', 'x=' + 'y'.repeat(64)]) {
      let err: unknown;
      try {
        parseLabelSelector(bad);
      } catch (e) {
        err = e;
      }
      expect(err, bad).to.be.instanceOf(StatusError);
      expect((err as StatusError).code).to.equal(400);
    }
  });

  it('reads metav1.LabelSelector objects', () => {
    const sel = labelSelectorFromObject({ matchLabels: { a: 'b' }, matchExpressions: [{ key: 'c', operator: 'NotIn', values: ['d'] }, { key: 'e', operator: 'Exists' }] });
    expect(labelSelectorMatches(sel, { a: 'b', e: '' })).to.equal(true);
    expect(labelSelectorMatches(sel, { a: 'b', c: 'd', e: '' })).to.equal(false);
  });
});

describe('field selectors', () => {
  const pod = { metadata: { name: 'p,1', namespace: 'ns' }, spec: { nodeName: 'n1' }, status: { phase: 'Running' } };
  const supported = new Set(['metadata.name', 'metadata.namespace', 'spec.nodeName', 'status.phase', 'spec.unschedulable']);

  it('matches = and != with escaped commas and equals signs', () => {
    expect(fieldSelectorMatches(parseFieldSelector('spec.nodeName=n1,status.phase!=Pending', supported), pod, fieldValueOf)).to.equal(true);
    expect(fieldSelectorMatches(parseFieldSelector('metadata.name=p\\,1', supported), pod, fieldValueOf)).to.equal(true);
    expect(fieldSelectorMatches(parseFieldSelector('spec.nodeName==n2', supported), pod, fieldValueOf)).to.equal(false);
  });

  it('treats a missing boolean as false, the way kube-apiserver indexes spec.unschedulable', () => {
    expect(fieldSelectorMatches(parseFieldSelector('spec.unschedulable=false', supported), { metadata: {}, spec: {} }, fieldValueOf)).to.equal(true);
  });

  it('refuses fields the kind does not support with 400 "field label not supported"', () => {
    let err: StatusError | undefined;
    try {
      parseFieldSelector('spec.replicas=3', supported);
    } catch (e) {
      err = e as StatusError;
    }
    expect(err?.code).to.equal(400);
    expect(err?.message).to.equal('field label not supported: spec.replicas');
  });
});
