import { createServer as createNetServer } from 'node:net';
import { Context } from '@temporalio/activity';
import { Runtime, type ActivityInterceptorsFactory } from '@temporalio/worker';
import {
  OpenTelemetryActivityInboundInterceptor,
  OpenTelemetryActivityOutboundInterceptor,
  makeWorkflowExporter,
} from '@temporalio/interceptors-opentelemetry';
import type { Tracing } from '../lib/tracing';
import { activitySeconds } from '../lib/metrics';

/**
 * Times every activity the worker runs (`whatsapp_activity_seconds{activity, outcome}`): a store or Temporal outage
 * shows as failed executions of the activities that touch it, without each activity counting its own.
 */
export const activityMetrics: ActivityInterceptorsFactory = () => ({
  inbound: {
    async execute(input, next) {
      const stop = activitySeconds.startTimer({ activity: Context.current().info.activityType });
      try {
        const result = await next(input);
        stop({ outcome: 'completed' });
        return result;
      } catch (err) {
        stop({ outcome: 'failed' });
        throw err;
      }
    },
  },
});

/** A loopback port nobody listens on now (the SDK's exporter needs a fixed address). */
async function freeLoopbackPort(): Promise<number> {
  const probe = createNetServer();
  await new Promise<void>((ready) => probe.listen(0, '127.0.0.1', ready));
  const { port } = probe.address() as { port: number };
  await new Promise((closed) => probe.close(closed));
  return port;
}

/**
 * Installs the Temporal SDK runtime with its Prometheus exporter on a free loopback port (worker task latency,
 * polls, slots, sticky cache: https://docs.temporal.io/references/sdk-metrics) and answers where it serves, for
 * this process's `/metrics` to include. Call once per process, before any connection to Temporal.
 */
export async function installSdkMetrics(): Promise<string> {
  const port = await freeLoopbackPort();
  Runtime.install({ telemetryOptions: { metrics: { prometheus: { bindAddress: `127.0.0.1:${port}` } } } });
  return `http://127.0.0.1:${port}/metrics`;
}

/** The activity interceptors every worker of this process registers: timing, and tracing when it is on. */
export function activityInterceptors(tracing?: Tracing): ActivityInterceptorsFactory[] {
  if (!tracing) return [activityMetrics];
  return [
    activityMetrics,
    (ctx) => ({ inbound: new OpenTelemetryActivityInboundInterceptor(ctx), outbound: new OpenTelemetryActivityOutboundInterceptor(ctx) }),
  ];
}

/**
 * What a worker adds for tracing (Temporal's OpenTelemetry interceptors, https://docs.temporal.io/develop/typescript/observability#tracing):
 * the workflow interceptors, which carry the context from the signal or update to the activities they schedule, and
 * the sink that exports workflow spans from outside the sandbox. The workflow interceptors are bundled with the
 * workflows, so a prebuilt bundle (WORKER_WORKFLOW_BUNDLE) has none: activity spans are then not linked.
 */
export function workflowTracing(tracing: Tracing | undefined, prebuilt: boolean): { workflowModules: string[]; sinks: object } {
  if (!tracing) return { workflowModules: [], sinks: {} };
  return {
    workflowModules: prebuilt ? [] : [require.resolve('@temporalio/interceptors-opentelemetry/lib/workflow-interceptors')],
    sinks: { exporter: makeWorkflowExporter(tracing.spanProcessor, tracing.resource) },
  };
}
