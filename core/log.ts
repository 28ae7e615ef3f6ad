/** Structured JSON logs (pino) to stderr; one child logger per component. `LOG_LEVEL` sets the level. */
import { pino, type Logger } from 'pino';

export type { Logger } from 'pino';

const root: Logger = pino(
  { level: process.env.LOG_LEVEL ?? 'info', base: { app: 'jieneng' }, timestamp: pino.stdTimeFunctions.isoTime },
  pino.destination({ fd: 2, sync: true }),
);

/** A logger whose every line carries `component`. */
export function logger(component: string, bindings: Record<string, unknown> = {}): Logger {
  return root.child({ component, ...bindings });
}
