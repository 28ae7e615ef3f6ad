/**
 * Structured JSON logs (pino) to stderr; one child logger per component. `LOG_LEVEL` sets the level. Every line
 * passes through `redact` (core/secrets.ts) on its way out, so neither a URL's password nor a secret read by the
 * process reaches a log, whichever field or error message carries it (issue 13).
 */
import { pino, type DestinationStream, type Logger } from 'pino';
import { redact } from './secrets.ts';

export type { Logger } from 'pino';

const stderr = pino.destination({ fd: 2, sync: true });
const redacting: DestinationStream = { write: (line: string) => { stderr.write(redact(line)); } };

const root: Logger = pino(
  { level: process.env.LOG_LEVEL ?? 'info', base: { app: 'jieneng' }, timestamp: pino.stdTimeFunctions.isoTime },
  redacting,
);

/** A logger whose every line carries `component`. */
export function logger(component: string, bindings: Record<string, unknown> = {}): Logger {
  return root.child({ component, ...bindings });
}
