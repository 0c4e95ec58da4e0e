import { expect } from 'chai';
import { ruleAllows, type Attributes } from '../../../../src/simulator/auth/rbac.js';
import { effectiveRules } from '../../../../src/simulator/auth/aggregation.js';
import type { KubeObject } from '../../../../src/simulator/store/object.js';

/** One PolicyRule against one request, as kube's RBAC matches them. */
describe('RBAC rule matching', () => {
  const list = (resource: string, extra: Partial<Extract<Attributes, { resourceRequest: true }>> = {}): Attributes => ({ resourceRequest: true, verb: 'list', apiGroup: '', resource, ...extra });

  it('matches verb, group and resource, each exactly or by *', () => {
    expect(ruleAllows({ verbs: ['list'], apiGroups: [''], resources: ['nodes'] }, list('nodes'))).to.equal(true);
    expect(ruleAllows({ verbs: ['*'], apiGroups: ['*'], resources: ['*'] }, list('nodes'))).to.equal(true);
    expect(ruleAllows({ verbs: ['get'], apiGroups: [''], resources: ['nodes'] }, list('nodes'))).to.equal(false);
    expect(ruleAllows({ verbs: ['list'], apiGroups: ['apps'], resources: ['nodes'] }, list('nodes'))).to.equal(false);
    expect(ruleAllows({ verbs: ['list'], resources: ['nodes'] }, list('nodes')), 'no apiGroups matches no group').to.equal(false);
  });

  it('needs the subresource named (resource/sub or */sub); the bare resource does not cover it', () => {
    const log = list('pods', { verb: 'get', subresource: 'log', name: 'p' });
    expect(ruleAllows({ verbs: ['get'], apiGroups: [''], resources: ['pods'] }, log)).to.equal(false);
    expect(ruleAllows({ verbs: ['get'], apiGroups: [''], resources: ['pods/log'] }, log)).to.equal(true);
    expect(ruleAllows({ verbs: ['get'], apiGroups: [''], resources: ['*/log'] }, log)).to.equal(true);
  });

  it('limits to resourceNames when given, and then never matches a request without a name', () => {
    const rule = { verbs: ['get', 'list'], apiGroups: [''], resources: ['configmaps'], resourceNames: ['kubeadm-config'] };
    expect(ruleAllows(rule, list('configmaps', { verb: 'get', name: 'kubeadm-config' }))).to.equal(true);
    expect(ruleAllows(rule, list('configmaps', { verb: 'get', name: 'other' }))).to.equal(false);
    expect(ruleAllows(rule, list('configmaps'))).to.equal(false);
  });

  it('matches non-resource URLs exactly or by a trailing * prefix, never by resource rules', () => {
    const get = (path: string): Attributes => ({ resourceRequest: false, verb: 'get', path });
    const rule = { verbs: ['get'], nonResourceURLs: ['/healthz', '/apis/*'] };
    expect(ruleAllows(rule, get('/healthz'))).to.equal(true);
    expect(ruleAllows(rule, get('/healthz/etcd'))).to.equal(false);
    expect(ruleAllows(rule, get('/apis/apps/v1'))).to.equal(true);
    expect(ruleAllows({ verbs: ['*'], apiGroups: ['*'], resources: ['*'] }, get('/healthz'))).to.equal(false);
  });

  it('aggregates the rules of the ClusterRoles a selector picks, transitively and without duplicates', () => {
    const role = (name: string, labels: Record<string, string>, rules: unknown[], select?: string): KubeObject => ({
      metadata: { name, labels },
      rules,
      ...(select ? { aggregationRule: { clusterRoleSelectors: [{ matchLabels: { [select]: 'true' } }] } } : {}),
    });
    const r1 = { verbs: ['get'], apiGroups: [''], resources: ['pods'] };
    const r2 = { verbs: ['list'], apiGroups: [''], resources: ['pods'] };
    const all = [
      role('top', {}, [], 'to-top'),
      role('middle', { 'to-top': 'true' }, [], 'to-middle'),
      role('leaf-a', { 'to-middle': 'true' }, [r1]),
      role('leaf-b', { 'to-middle': 'true', 'to-top': 'true' }, [r1, r2]),
    ];
    expect(effectiveRules(all[0]!, all)).to.deep.equal([r1, r2]);
  });
});
