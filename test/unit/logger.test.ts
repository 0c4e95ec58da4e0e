import { expect } from 'chai';
import { componentLogger } from '../../src/telemetry/logger.js';

describe('logger', () => {
  it('gives each component a child that names it', () => {
    const log = componentLogger('simulator', { cluster: 'c1' });
    expect(log.bindings()).to.include({ component: 'simulator', cluster: 'c1' });
  });
});
