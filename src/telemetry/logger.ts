import { pino, type Logger } from 'pino';

/**
 * The one logger of the process. Structured JSON on stdout (what log
 * collectors in a cluster expect); components take a child with their name
 * so every line says where it came from.
 */
export type { Logger };

const LOG_LEVEL_ENV = 'FKAS_LOG_LEVEL';
const DEFAULT_LOG_LEVEL = 'info';

export const rootLogger: Logger = pino({
  name: 'metal3-fkas',
  level: process.env[LOG_LEVEL_ENV] ?? DEFAULT_LOG_LEVEL,
  base: undefined,
});

export function componentLogger(component: string, bindings: Record<string, unknown> = {}): Logger {
  return rootLogger.child({ component, ...bindings });
}
