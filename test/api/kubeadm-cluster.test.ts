import { expect } from 'chai';
import { startFakeCluster, type FakeClusterFixture } from '../support/fake-cluster.js';
import { populateLikeKubeadm } from '../support/kubeadm-cluster.js';

/**
 * What a person with kubectl sees in a fake cluster whose Nodes were
 * registered as the operator registers FakeNodes: a settled kubeadm
 * cluster — kube-proxy on every node, CoreDNS behind kube-dns, Node events,
 * and kubeadm's fields guarded against other managers.
 */
describe('a fake kubeadm cluster seen through the real kubectl', function () {
  this.timeout(60_000);
  let f: FakeClusterFixture;

  before(async () => {
    f = await startFakeCluster({ name: 'kc', kubernetesVersion: 'v1.34.1' });
    populateLikeKubeadm(f.cluster, 2);
  });
  after(async () => f?.close());

  it('kubectl get pods -A shows kube-proxy on each node and both coredns Pods Running and ready', async () => {
    const out = await f.kubectl(['get', 'pods', '-A', '-o', 'wide']);
    const rows = out.trim().split('\n').slice(1);
    const proxy = rows.filter((r) => /\skube-proxy-\w{5}\s/.test(r));
    expect(proxy.map((r) => r.split(/\s+/)[7]).sort()).to.deep.equal(['kc-cp-0', 'kc-w-1']);
    const dns = rows.filter((r) => /\scoredns-\w+-\w{5}\s/.test(r));
    expect(dns).to.have.length(2);
    for (const r of [...proxy, ...dns]) expect(r).to.match(/^kube-system\s+\S+\s+1\/1\s+Running\s+0\s/);
  });

  it('kubectl get ds,deploy,rs counts what runs: 2/2 kube-proxy, 2/2 coredns', async () => {
    const ds = await f.kubectl(['get', 'ds', '-n', 'kube-system', 'kube-proxy', '--no-headers']);
    expect(ds).to.match(/^kube-proxy\s+2\s+2\s+2\s+2\s+2\s+kubernetes\.io\/os=linux\s/);
    const deploy = await f.kubectl(['get', 'deploy', '-n', 'kube-system', 'coredns', '--no-headers']);
    expect(deploy).to.match(/^coredns\s+2\/2\s+2\s+2\s/);
    const rs = await f.kubectl(['get', 'rs', '-n', 'kube-system', '--no-headers']);
    expect(rs).to.match(/^coredns-\w+\s+2\s+2\s+2\s/);
  });

  it('kubectl rollout status calls both addons rolled out', async () => {
    expect(await f.kubectl(['rollout', 'status', '-n', 'kube-system', 'ds/kube-proxy', '--timeout=5s'])).to.match(/daemon set "kube-proxy" successfully rolled out/);
    expect(await f.kubectl(['rollout', 'status', '-n', 'kube-system', 'deploy/coredns', '--timeout=5s'])).to.match(/deployment "coredns" successfully rolled out/);
  });

  it('kubectl get svc shows kube-dns at 10.96.0.10 with its three ports', async () => {
    const svc = await f.kubectl(['get', 'svc', '-n', 'kube-system', 'kube-dns', '--no-headers']);
    expect(svc).to.match(/^kube-dns\s+ClusterIP\s+10\.96\.0\.10\s+<none>\s+53\/UDP,53\/TCP,9153\/TCP\s/);
  });

  it('kubectl get ep,endpointslices shows the coredns addresses behind kube-dns', async () => {
    const ips = (await f.kubectl(['get', 'pods', '-n', 'kube-system', '-l', 'k8s-app=kube-dns', '-o', 'jsonpath={.items[*].status.podIP}'])).split(' ').sort();
    const ep = await f.kubectl(['get', 'ep', '-n', 'kube-system', 'kube-dns', '--no-headers']);
    expect(ep).to.match(new RegExp(`^kube-dns\\s+${ips[0]}:53,${ips[1]}:53,${ips[0]}:53 \\+ 3 more\\.\\.\\.\\s`));
    const slices = await f.kubectl(['get', 'endpointslices', '-n', 'kube-system', '--no-headers']);
    expect(slices).to.match(new RegExp(`^kube-dns-\\w{5}\\s+IPv4\\s+53,53,9153\\s+${ips[0]},${ips[1]}\\s`));
  });

  it('kubectl describe node lists the node events', async () => {
    const out = await f.kubectl(['describe', 'node', 'kc-w-1']);
    const events = out.slice(out.indexOf('Events:'));
    expect(events).to.match(/Normal\s+Starting\s+\S+\s+kubelet\s+Starting kubelet\./);
    expect(events).to.match(/Normal\s+RegisteredNode\s+\S+\s+node-controller\s+Node kc-w-1 event: Registered Node kc-w-1 in Controller/);
    expect(events).to.match(/Normal\s+NodeReady\s+\S+\s+kubelet\s+Node kc-w-1 status is now: NodeReady/);
  });

  it('kubectl apply --server-side by another manager conflicts with kubeadm on the kube-proxy ConfigMap, until forced', async () => {
    const cm = 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: kube-proxy, namespace: kube-system}\ndata: {config.conf: "mode: ipvs\\n"}\n';
    const refused = await f.kubectlResult(['apply', '--server-side', '--field-manager=tuner', '-f', '-'], { input: cm });
    expect(refused.code).to.not.equal(0);
    expect(refused.stderr).to.match(/conflict with "kubeadm"/).and.to.match(/\.data\.config\.conf/);
    await f.kubectl(['apply', '--server-side', '--field-manager=tuner', '--force-conflicts', '-f', '-'], { input: cm });
    expect(await f.kubectl(['get', 'cm', '-n', 'kube-system', 'kube-proxy', '-o', 'jsonpath={.data.config\\.conf}'])).to.equal('mode: ipvs\n');
  });

  it('kubectl get -o yaml --show-managed-fields shows the kube-controller-manager writing the DaemonSet status', async () => {
    const out = await f.kubectl(['get', 'ds', '-n', 'kube-system', 'kube-proxy', '-o', 'yaml', '--show-managed-fields']);
    expect(out).to.match(/manager: kube-controller-manager\n\s+operation: Update\n\s+subresource: status/);
    expect(out).to.match(/manager: kubeadm\n\s+operation: Update/);
  });

  it('kubectl scale deploy/coredns --replicas=3 runs a third CoreDNS Pod, and scaling back leaves two', async () => {
    expect(await f.kubectl(['scale', '-n', 'kube-system', 'deploy/coredns', '--replicas=3'])).to.match(/deployment\.apps\/coredns scaled/);
    const running = async (): Promise<number> => (await f.kubectl(['get', 'pods', '-n', 'kube-system', '-l', 'k8s-app=kube-dns', '--no-headers'])).trim().split('\n').filter((r) => /\sRunning\s/.test(r)).length;
    expect(await running()).to.equal(3);
    expect(await f.kubectl(['get', 'deploy', '-n', 'kube-system', 'coredns', '-o', 'jsonpath={.spec.replicas} {.status.readyReplicas}'])).to.equal('3 3');
    await f.kubectl(['scale', '-n', 'kube-system', 'deploy/coredns', '--replicas=2']);
    expect(await running()).to.equal(2);
  });
});
