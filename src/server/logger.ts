import pino from 'pino';

export type Logger = pino.Logger;

/** Structured JSON logs (pino): one line per event, cheap enough for the hot path. */
export function createLogger(level: string): Logger {
  return pino({ level, base: { service: 'dvc-gateway' } });
}
