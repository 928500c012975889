import { SpanStatusCode, trace, type Span, type SpanOptions } from '@opentelemetry/api';

/**
 * Runs `fn` in a new active span, marked as an error if `fn` throws, ended either way. With
 * tracing off the span is the API's no-op and this costs next to nothing. `scope` names the
 * instrumentation (the engine, or the partners' client).
 */
export function inSpan<T>(name: string, options: SpanOptions, fn: (span: Span) => Promise<T>, scope = 'statera-engine'): Promise<T> {
  return trace.getTracer(scope).startActiveSpan(name, options, async (span) => {
    try {
      return await fn(span);
    } catch (err) {
      span.recordException(err as Error);
      span.setStatus({ code: SpanStatusCode.ERROR, message: (err as Error)?.message });
      throw err;
    } finally {
      span.end();
    }
  });
}
