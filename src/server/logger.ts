import pino from 'pino';

export type Logger = pino.Logger;

/**
 * Structured JSON logs (pino): one line per event, cheap enough for the hot path. Standard output
 * unless a destination is given (a test reads the lines from a stream of its own).
 *
 * What a client can cause to be logged (the access log, refused requests) never holds request
 * bodies, variables, SQL, stacks or secrets (src/observability/request-observer.ts): pino writes
 * `err` with its stack, so only internal errors are logged that way. The redaction below is the
 * last line, for a header object someone logs one day.
 */
export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
  const options: pino.LoggerOptions = {
    level,
    base: { service: 'dvc-gateway' },
    redact: { paths: ['authorization', '*.authorization', 'headers.authorization', 'req.headers.authorization', 'secret', '*.secret'], censor: '[redacted]' },
  };
  return destination ? pino(options, destination) : pino(options);
}
