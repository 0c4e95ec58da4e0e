import { expect } from 'chai';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { renderTemplate } from '../../../src/operator/workload/templates.js';

const CONTROL_PLANE_VARS = {
  nodeName: 'cp-0',
  nodeUID: 'uid-1',
  nodeIP: '10.0.0.5',
  kubernetesVersion: 'v1.32.0',
  clusterName: 'c1',
  podCIDR: '10.244.0.0/16',
  serviceCIDR: '10.96.0.0/12',
  now: '2026-11-25T10:00:00Z',
};

describe('workload templates', () => {
  it('fill every placeholder of the built-in control-plane template, timestamps as kube sends them', () => {
    const objects = renderTemplate('control-plane-node', CONTROL_PLANE_VARS);
    expect(objects.map((o) => o.metadata.name)).to.include.members(['etcd-cp-0', 'kube-apiserver-cp-0']);
    const text = JSON.stringify(objects);
    expect(text).not.to.contain('${');
    const etcd = objects.find((o) => o.metadata.name === 'etcd-cp-0')!;
    expect((etcd.status as { startTime: unknown }).startTime).to.equal('2026-11-25T10:00:00Z');
    expect(etcd.metadata.ownerReferences?.[0]?.uid).to.equal('uid-1');
  });

  it('give each render its own objects, so a fake cluster changing one cannot change the next', () => {
    const first = renderTemplate('control-plane-node', CONTROL_PLANE_VARS);
    first[0]!.metadata.name = 'changed';
    const second = renderTemplate('control-plane-node', CONTROL_PLANE_VARS);
    expect(second[0]!.metadata.name).to.equal('etcd-cp-0');
  });

  describe('from a directory of your own', () => {
    let dir: string;
    beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'fkas-templates-'))));
    afterEach(() => rmSync(dir, { recursive: true, force: true }));

    it('refuse a placeholder that is not a known variable, naming it', () => {
      writeFileSync(join(dir, 'kubeadm-init.yaml'), 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x, namespace: kube-system}\ndata: {a: "${clusterNmae}"}\n');
      expect(() => renderTemplate('kubeadm-init', { clusterName: 'c1' }, dir)).to.throw(/clusterNmae.*clusterName/);
    });

    it('keep a value inside its string: a value with YAML syntax does not change the structure', () => {
      writeFileSync(join(dir, 'kubeadm-init.yaml'), 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x, namespace: kube-system}\ndata:\n  a: ${clusterName}\n');
      const [cm] = renderTemplate('kubeadm-init', { clusterName: 'c1\nevil: {b: 1}' }, dir);
      expect(cm!.data).to.deep.equal({ a: 'c1\nevil: {b: 1}' });
    });
  });
});
