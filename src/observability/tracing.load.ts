import type { Span } from '@opentelemetry/api';
import type { GatewayConfig } from '../config/config';
import type { Tracing } from './tracing';

/**
 * The tracing of an HTTP app when OTEL_EXPORTER_OTLP_ENDPOINT (or ..._TRACES_ENDPOINT) is set,
 * else undefined. The OpenTelemetry SDK is required only then: a gateway that does not trace
 * never loads it (a require at the point of use, as sync.runtime.ts loads the simulator).
 */
export function tracingFor(config: GatewayConfig, currentSpan: () => Span | undefined): Tracing | undefined {
  if (!config.otlpTracesUrl) return undefined;
  const { Tracing: TracingClass } = require('./tracing') as typeof import('./tracing');
  return new TracingClass({ url: config.otlpTracesUrl, serviceName: config.otelServiceName, sampleRatio: config.traceSamplePercent / 100, currentSpan });
}
