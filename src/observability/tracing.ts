import { context, propagation, ROOT_CONTEXT, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BatchSpanProcessor, type SpanProcessor } from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import { ATTR_HTTP_REQUEST_METHOD, ATTR_HTTP_RESPONSE_STATUS_CODE, ATTR_HTTP_ROUTE, ATTR_SERVICE_NAME, ATTR_URL_PATH } from '@opentelemetry/semantic-conventions';
import type { NextFunction, Request, Response } from 'express';

export const TRACER_NAME = 'statera';

export interface TracingConfig {
  OTEL_SERVICE_NAME: string;
  OTEL_EXPORTER_OTLP_ENDPOINT?: string;
  OTEL_EXPORTER_OTLP_TRACES_ENDPOINT?: string;
}

let provider: NodeTracerProvider | undefined;

/**
 * Registers the OpenTelemetry SDK for this process: spans go to the OTLP/HTTP collector
 * when an endpoint is configured (and to `spanProcessors`, which tests use). With neither,
 * nothing is registered and every span the code starts is the API's no-op: tracing costs
 * nothing when it is off. Context travels in AsyncLocalStorage; `traceparent` is the W3C one.
 */
export function startTracing(config: TracingConfig, extra: { spanProcessors?: SpanProcessor[] } = {}): boolean {
  if (provider) return true;
  const processors = [...(extra.spanProcessors ?? [])];
  const url = otlpTracesUrl(config);
  if (url) processors.push(new BatchSpanProcessor(new OTLPTraceExporter({ url })));
  if (processors.length === 0) return false;
  provider = new NodeTracerProvider({
    resource: resourceFromAttributes({ [ATTR_SERVICE_NAME]: config.OTEL_SERVICE_NAME }),
    spanProcessors: processors,
  });
  // Trace context only. The SDK's default also propagates W3C baggage, which a caller could
  // fill with anything (an e-mail address) that would then be stored with every job of the
  // workflow and sent to every partner.
  provider.register({ propagator: new W3CTraceContextPropagator() });
  return true;
}

/** Flushes what is buffered and unregisters, so a process (or a test) ends with its spans delivered. */
export async function stopTracing(): Promise<void> {
  const current = provider;
  provider = undefined;
  if (!current) return;
  await current.shutdown();
  trace.disable();
  context.disable();
  propagation.disable();
}

/** Delivers the spans buffered so far (an application closing; the process may go on). */
export async function flushTracing(): Promise<void> {
  await provider?.forceFlush().catch(() => undefined);
}

export function isTracingActive(): boolean {
  return provider !== undefined;
}

/** The traces-specific endpoint as given; the general one with `/v1/traces`, as the OTLP specification says. */
export function otlpTracesUrl(config: TracingConfig): string | undefined {
  if (config.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT) return config.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT;
  if (config.OTEL_EXPORTER_OTLP_ENDPOINT) return `${config.OTEL_EXPORTER_OTLP_ENDPOINT.replace(/\/+$/, '')}/v1/traces`;
  return undefined;
}

/**
 * One server span per API request, continuing the caller's trace when it sent `traceparent`,
 * active while the request is handled, so the engine's transition spans become its children.
 * No auto-instrumentation package: this is the one place HTTP requests are traced.
 */
export function httpServerSpans() {
  const tracer = trace.getTracer(TRACER_NAME);
  return (req: Request, res: Response, next: NextFunction) => {
    const parent = propagation.extract(ROOT_CONTEXT, req.headers);
    const span = tracer.startSpan(
      req.method,
      { kind: SpanKind.SERVER, attributes: { [ATTR_HTTP_REQUEST_METHOD]: req.method, [ATTR_URL_PATH]: req.path } },
      parent,
    );
    let ended = false;
    const end = () => {
      if (ended) return;
      ended = true;
      const route = (req.route as { path?: string } | undefined)?.path;
      if (route) {
        span.setAttribute(ATTR_HTTP_ROUTE, `${req.baseUrl}${route}`);
        span.updateName(`${req.method} ${req.baseUrl}${route}`);
      }
      span.setAttribute(ATTR_HTTP_RESPONSE_STATUS_CODE, res.statusCode);
      if (res.statusCode >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
      span.end();
    };
    res.once('finish', end);
    res.once('close', end);
    context.with(trace.setSpan(parent, span), next);
  };
}
