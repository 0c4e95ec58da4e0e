import { operatorBehaviour } from '../support/operator-spec.js';

describe('the operator against its embedded management API', function () {
  this.timeout(60_000);
  operatorBehaviour(() => undefined);
});
