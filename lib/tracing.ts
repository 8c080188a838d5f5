import { trace } from '@opentelemetry/api';
import type { WorkflowClientInterceptor } from '@temporalio/client';
import { OpenTelemetryWorkflowClientInterceptor } from '@temporalio/interceptors-opentelemetry/lib/client';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { Resource } from '@opentelemetry/resources';
import { BatchSpanProcessor, type SpanProcessor } from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';

/** A process's tracing, when on: what the Temporal worker's workflow span exporter needs, and how to flush at exit. */
export interface Tracing {
  resource: Resource;
  spanProcessor: SpanProcessor;
  shutdown(): Promise<void>;
}

/**
 * Starts OpenTelemetry tracing for this process when `endpoint` (OTEL_EXPORTER_OTLP_ENDPOINT, e.g.
 * `http://otel-collector:4318`) is set: spans go by OTLP over HTTP to `<endpoint>/v1/traces`, in batches. Off (and
 * free: the API's tracer is a no-op) when it is not. Call once per process, before any span.
 */
export function startTracing(serviceName: string, endpoint: string | undefined): Tracing | undefined {
  if (!endpoint) return undefined;
  const resource = new Resource({ 'service.name': serviceName });
  const spanProcessor = new BatchSpanProcessor(new OTLPTraceExporter({ url: `${endpoint.replace(/\/$/, '')}/v1/traces` }), { scheduledDelayMillis: 500 });
  const provider = new NodeTracerProvider({ resource, spanProcessors: [spanProcessor] });
  provider.register();
  return { resource, spanProcessor, shutdown: () => provider.shutdown() };
}

/** The connector's own spans (the webhook, API requests); Temporal's come from its interceptors. */
export const tracer = () => trace.getTracer('whatsapp-connector');

/** The Temporal client interceptors of this process: trace context into every start, signal and update when tracing. */
export const clientInterceptors = (tracing?: Tracing): { workflow: WorkflowClientInterceptor[] } => ({
  workflow: tracing ? [new OpenTelemetryWorkflowClientInterceptor()] : [],
});

