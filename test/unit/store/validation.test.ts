import { expect } from 'chai';
import { validateAnnotations, validateDns1123Label, validateDns1123Subdomain, validateLabels, validatePathSegmentName } from '../../../src/simulator/store/validation.js';

describe('name and metadata validation', () => {
  it('accepts DNS-1123 subdomains and refuses upper case, leading dashes, underscores and 254 characters', () => {
    expect(validateDns1123Subdomain('etcd-cp0.example.com')).to.deep.equal([]);
    for (const bad of ['Upper', '-lead', 'trail-', 'under_score', 'a'.repeat(254), 'dot..dot']) expect(validateDns1123Subdomain(bad), bad).to.not.be.empty;
  });

  it('refuses dots in names that must be DNS-1123 labels (namespaces, services)', () => {
    expect(validateDns1123Label('kube-system')).to.deep.equal([]);
    expect(validateDns1123Label('a.b')).to.not.be.empty;
    expect(validateDns1123Label('a'.repeat(64))).to.not.be.empty;
  });

  it('accepts colons in RBAC names (system:masters style) but not slashes', () => {
    expect(validatePathSegmentName('kubeadm:get-nodes')).to.deep.equal([]);
    expect(validatePathSegmentName('a/b')).to.not.be.empty;
    expect(validatePathSegmentName('..')).to.not.be.empty;
  });

  it('checks label keys and values and the total annotation size', () => {
    expect(validateLabels({ 'node-role.kubernetes.io/control-plane': '', app: 'x' })).to.deep.equal([]);
    expect(validateLabels({ 'bad key': 'x' })).to.have.length(1);
    expect(validateLabels({ app: 'not valid!' })).to.have.length(1);
    expect(validateAnnotations({ big: 'x'.repeat(300 * 1024) })[0]!.message).to.match(/Too long/);
  });
});
