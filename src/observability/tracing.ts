import { context, Span, SpanKind, SpanStatusCode, trace, Tracer } from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BatchSpanProcessor, NodeTracerProvider, ParentBasedSampler, TraceIdRatioBasedSampler } from '@opentelemetry/sdk-trace-node';
import {
  ATTR_DB_OPERATION_NAME, ATTR_DB_QUERY_TEXT, ATTR_DB_SYSTEM_NAME, ATTR_HTTP_REQUEST_METHOD, ATTR_HTTP_RESPONSE_STATUS_CODE,
  ATTR_HTTP_ROUTE, ATTR_SERVICE_NAME, ATTR_URL_PATH, DB_SYSTEM_NAME_VALUE_POSTGRESQL,
} from '@opentelemetry/semantic-conventions';
import type { StatementObserver } from '../db/sql';

export interface TracingOptions {
  /** Where spans are POSTed, OTLP over HTTP with JSON: the collector's …/v1/traces. */
  url: string;
  serviceName: string;
  /** Share of requests traced, 0 to 1 (a sampled-out request costs no span at all). */
  sampleRatio: number;
  /** The span statements of the current request hang under (RequestObserver's scope). */
  currentSpan: () => Span | undefined;
}

/** Longest statement text put on a span; the rest is cut (statements with long IN lists or CTEs). */
const MAX_STATEMENT = 2000;

/**
 * Optional OpenTelemetry tracing (OTEL_EXPORTER_OTLP_ENDPOINT): a span per HTTP request, one per
 * GraphQL operation under it, and one per SQL statement sent through src/db/sql.ts under that.
 * Its own tracer provider, never registered as the global one (no module globals): parents are
 * passed explicitly from the request's scope rather than through a global context manager.
 * Spans are batched and sent OTLP/HTTP (JSON); the exporter's failures are dropped spans, never
 * a failed request.
 */
export class Tracing {
  private readonly provider: NodeTracerProvider;
  private readonly tracer: Tracer;

  constructor(private readonly opts: TracingOptions) {
    this.provider = new NodeTracerProvider({
      resource: resourceFromAttributes({ [ATTR_SERVICE_NAME]: opts.serviceName }),
      sampler: new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(opts.sampleRatio) }),
      spanProcessors: [new BatchSpanProcessor(new OTLPTraceExporter({ url: opts.url, timeoutMillis: 10_000 }))],
    });
    this.tracer = this.provider.getTracer('dvc-gateway');
  }

  /** The request's root span (a server span), named by method and route, never by the raw path. */
  startHttp(method: string, route: string, path: string): Span | undefined {
    const span = this.tracer.startSpan(`${method} ${route}`, {
      kind: SpanKind.SERVER,
      attributes: { [ATTR_HTTP_REQUEST_METHOD]: method, [ATTR_HTTP_ROUTE]: route, [ATTR_URL_PATH]: path },
    });
    return span.isRecording() ? span : undefined;
  }

  endHttp(span: Span, status: number): void {
    span.setAttribute(ATTR_HTTP_RESPONSE_STATUS_CODE, status);
    if (status >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
    span.end();
  }

  /** The GraphQL operation's span, under the request's: "query StatisticsPage". */
  startOperation(parent: Span, type: string, name: string | undefined): Span {
    return this.tracer.startSpan(name ? `${type} ${name}` : type, {
      attributes: { 'graphql.operation.type': type, ...(name ? { 'graphql.operation.name': name } : {}) },
    }, trace.setSpan(context.active(), parent));
  }

  endOperation(span: Span, errorCodes: string[]): void {
    if (errorCodes.length > 0) span.setStatus({ code: SpanStatusCode.ERROR, message: errorCodes.join(',') });
    span.end();
  }

  /** For Sql: a span per statement under the current request's innermost span (none outside a traced request). */
  readonly statements: StatementObserver = (text) => {
    const parent = this.opts.currentSpan();
    if (!parent) return undefined;
    const query = normaliseStatement(text);
    const operation = /^\s*(\w+)/.exec(query)?.[1]?.toUpperCase() ?? 'SQL';
    const span = this.tracer.startSpan(operation, {
      kind: SpanKind.CLIENT,
      attributes: { [ATTR_DB_SYSTEM_NAME]: DB_SYSTEM_NAME_VALUE_POSTGRESQL, [ATTR_DB_OPERATION_NAME]: operation, [ATTR_DB_QUERY_TEXT]: query },
    }, trace.setSpan(context.active(), parent));
    return (error) => {
      // The driver's message may quote values; the span says only that it failed, and the class.
      if (error) span.setStatus({ code: SpanStatusCode.ERROR, message: error instanceof Error ? error.name : 'error' });
      span.end();
    };
  };

  /** Sends what is batched and stops (on shutdown; a test reads its collector after this). */
  shutdown(): Promise<void> {
    return this.provider.shutdown();
  }
}

/**
 * Statement text for a span: whitespace collapsed, quoted literals replaced by '?', cut at
 * MAX_STATEMENT. Values travel as parameters ($1...), which are never recorded; the literals left
 * are the code's own, replaced anyway in case one day a value is spliced in.
 */
export function normaliseStatement(text: string): string {
  const flat = text.replace(/'(?:[^']|'')*'/g, "'?'").replace(/\s+/g, ' ').trim();
  return flat.length > MAX_STATEMENT ? `${flat.slice(0, MAX_STATEMENT)}…` : flat;
}
