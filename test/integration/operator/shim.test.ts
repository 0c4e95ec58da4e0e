import { join } from 'node:path';
import { startControlPlane, type ControlPlane } from '../../harness/control-plane.js';
import { REPO_ROOT } from '../../harness/tools.js';
import { shimFuzz } from '../../support/shim-fuzz.js';
import { shimBehaviour } from '../../support/shim-spec.js';

describe('the legacy shim against a real kube-apiserver', function () {
  this.timeout(20 * 60_000);
  let cp: ControlPlane | undefined;
  before(async () => {
    cp = await startControlPlane({ withControllerManager: true, crds: [join(REPO_ROOT, 'crds')] });
  });
  after(async () => cp?.stop());
  shimBehaviour(() => cp!.kubeconfigPath);
  shimFuzz(() => cp!.kubeconfigPath);
});
