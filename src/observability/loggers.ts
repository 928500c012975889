import { AsyncLocalStorage } from 'node:async_hooks';
import { trace } from '@opentelemetry/api';
import pino, { type DestinationStream, type Level, type LevelWithSilent, type Logger } from 'pino';

/** What every line logged while handling one request carries. */
export interface RequestContext {
  requestId: string;
}

export const requestContext = new AsyncLocalStorage<RequestContext>();

/**
 * Never logged, whichever object they hide in: credentials and the fields through which a
 * person's data could reach a log line (a partner answer, a form, an input).
 */
export const REDACT_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-api-key"]',
  'res.headers["set-cookie"]',
  'authorization',
  'cookie',
  'password',
  'key',
  'apiKey',
  '*.authorization',
  '*.password',
  '*.apiKey',
];

export interface LoggerOptions {
  level: LevelWithSilent;
  /** Adds the request id and the active trace to each line (off for the access log, which carries its own). */
  contextual?: boolean;
}

/** JSON lines on stdout (or `destination`): ISO time, textual level, no pid or hostname noise. */
export function createLogger(options: LoggerOptions, destination?: DestinationStream): Logger {
  return pino(
    {
      level: options.level,
      base: undefined,
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
      mixin: options.contextual === false ? undefined : contextFields,
    },
    destination ?? pino.destination({ dest: 1, sync: true }),
  );
}

function contextFields(): Record<string, unknown> {
  const store = requestContext.getStore();
  const span = trace.getActiveSpan()?.spanContext();
  const fields: Record<string, unknown> = store ? { requestId: store.requestId } : {};
  if (span && span.traceFlags & 1) {
    fields.traceId = span.traceId;
    fields.spanId = span.spanId;
  }
  return fields;
}

/**
 * The engine's `log(message, fields)` callback: its fields become the line's JSON fields.
 * The engine reports only what went wrong or needs attention, hence `warn`.
 */
export function engineLog(logger: Logger): (message: string, fields?: Record<string, unknown>) => void {
  const engine = logger.child({ component: 'engine' });
  return (message, fields) => engine.warn(fields ?? {}, message);
}

const NEST_ORDER: Level[] = ['trace', 'debug', 'info', 'warn', 'error', 'fatal'];
const FROM_NEST: Record<string, Level> = { verbose: 'trace', debug: 'debug', log: 'info', warn: 'warn', error: 'error', fatal: 'fatal' };

/** The pino level matching Nest's level list (the least severe one it enables). */
export function levelFromNest(levels: readonly string[]): LevelWithSilent {
  const mapped = levels.map((l) => FROM_NEST[l]).filter((l): l is Level => l !== undefined);
  if (mapped.length === 0) return 'silent';
  return mapped.sort((a, b) => NEST_ORDER.indexOf(a) - NEST_ORDER.indexOf(b))[0] as Level;
}

export interface AppLoggers {
  /** Application lines: request id and trace added from the context. */
  app: Logger;
  /** The HTTP access log: pino-http binds the request id itself. */
  access: Logger;
}

const byConfig = new WeakMap<object, AppLoggers>();

/**
 * The loggers of one application, made once per configuration object, so the Nest adapter,
 * the access log and the engine write through the same stream at the same level.
 */
export function loggersFor(config: { LOG_LEVEL?: LevelWithSilent }, destination?: DestinationStream): AppLoggers {
  let loggers = byConfig.get(config);
  if (!loggers) {
    const level = config.LOG_LEVEL ?? 'info';
    const dest = destination ?? pino.destination({ dest: 1, sync: true });
    loggers = { app: createLogger({ level }, dest), access: createLogger({ level, contextual: false }, dest) };
    byConfig.set(config, loggers);
  }
  return loggers;
}
