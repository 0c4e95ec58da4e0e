import { join } from 'node:path';
import { startControlPlane, type ControlPlane } from '../../harness/control-plane.js';
import { REPO_ROOT } from '../../harness/tools.js';
import { operatorBehaviour } from '../../support/operator-spec.js';

describe('the operator against a real kube-apiserver', function () {
  this.timeout(20 * 60_000);
  let cp: ControlPlane | undefined;
  before(async () => {
    cp = await startControlPlane({ withControllerManager: true, crds: [join(REPO_ROOT, 'crds')] });
  });
  after(async () => cp?.stop());
  operatorBehaviour(() => cp!.kubeconfigPath);
});
