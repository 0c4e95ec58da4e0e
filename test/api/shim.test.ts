import { shimBehaviour } from '../support/shim-spec.js';

shimBehaviour(() => undefined);
