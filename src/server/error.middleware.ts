import express from 'express';
import http from 'node:http';
import { noteError, observedOf } from '../observability/request-observer';
import { Logger } from './logger';

/**
 * Errors answered outside Apollo (body limits, malformed JSON, rate limits, bad keys, unknown
 * paths, failures nobody else caught) in the GraphQL-over-HTTP shape, so that a client always
 * reads `{"errors":[{"message","extensions":{"code"}}]}` and never an HTML page, a stack trace or
 * a file path. Nothing from the request body is ever echoed or logged.
 */

/** Whether the client prefers application/graphql-response+json to application/json (it does not when it says nothing). */
export function prefersGraphqlResponseJson(req: express.Request): boolean {
  const accept = req.headers.accept;
  // The usual headers answered without content negotiation (negotiator parses the header anew
  // each time: 2% of a unit lookup's CPU); anything else is negotiated as before.
  if (accept === undefined || accept === 'application/json' || accept === '*/*') return false;
  if (accept === 'application/graphql-response+json') return true;
  return req.accepts(['application/json', 'application/graphql-response+json']) === 'application/graphql-response+json';
}

/** The media type the client prefers among the two GraphQL responses (application/json when it says nothing). */
export function responseMediaType(req: express.Request): string {
  return prefersGraphqlResponseJson(req) ? 'application/graphql-response+json; charset=utf-8' : 'application/json; charset=utf-8';
}

export function errorBody(code: string, message: string, extra: Record<string, unknown> = {}): string {
  return JSON.stringify({ errors: [{ message, extensions: { code, ...extra } }] });
}

export interface JsonErrorOptions {
  headers?: Record<string, string>;
  extensions?: Record<string, unknown>;
  /** Close the connection after answering: the rest of an oversized body is not worth reading. */
  close?: boolean;
}

export function sendJsonError(req: express.Request, res: express.Response, status: number, code: string, message: string, opts: JsonErrorOptions = {}): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  noteError(res, code);
  for (const [k, v] of Object.entries(opts.headers ?? {})) res.setHeader(k, v);
  if (opts.close) res.setHeader('connection', 'close');
  res.status(status).type(responseMediaType(req)).send(errorBody(code, message, opts.extensions));
}

/** Any path but /graphql and /health: a JSON 404 rather than Express's HTML page. */
export function notFoundHandler(): express.RequestHandler {
  return (req, res) => sendJsonError(req, res, 404, 'NOT_FOUND', 'Nothing here: the API is at /graphql.');
}

/** The status an error carries (http-errors style), kept only when it is a client error. */
function clientStatus(err: unknown): number | undefined {
  const e = err as { status?: unknown; statusCode?: unknown } | null;
  const status = typeof e?.status === 'number' ? e.status : typeof e?.statusCode === 'number' ? e.statusCode : undefined;
  return status !== undefined && status >= 400 && status < 500 ? status : undefined;
}

/**
 * The handler of last resort: whatever reached Express's error chain answers JSON. A client error
 * (an http-errors status in 4xx) keeps its status with a generic message; anything else is a 500.
 * The log line names the route and the error's class only: messages of parse errors quote the
 * body, and stacks hold file paths, and a client can trigger this line at will.
 */
export function lastResortErrorHandler(logger: Logger): express.ErrorRequestHandler {
  return (err: unknown, req, res, _next) => {
    const status = clientStatus(err) ?? 500;
    const kind = err instanceof Error ? err.name : typeof err;
    const line = { requestId: observedOf(res)?.id, method: req.method, path: req.path.slice(0, 200), status, kind };
    if (status === 500) logger.error(line, 'request failed outside GraphQL');
    else logger.warn(line, 'request failed outside GraphQL');
    if (status === 500) sendJsonError(req, res, 500, 'INTERNAL_SERVER_ERROR', 'Internal server error');
    else sendJsonError(req, res, status, 'BAD_REQUEST', `The request could not be processed (HTTP ${status}).`);
  };
}

/**
 * Requests Node's HTTP parser refuses (a malformed Content-Length, oversized headers...) never reach
 * Express; Node would answer a bare 400. This answers the same statuses with a JSON body.
 */
export function answerClientErrorsWithJson(server: http.Server): void {
  server.on('clientError', (err: NodeJS.ErrnoException, socket) => {
    if (err.code === 'ECONNRESET' || !socket.writable) {
      socket.destroy();
      return;
    }
    const tooLarge = err.code === 'HPE_HEADER_OVERFLOW';
    const status = tooLarge ? 431 : 400;
    const body = errorBody(tooLarge ? 'HEADERS_TOO_LARGE' : 'BAD_REQUEST', tooLarge ? 'The request headers are too large.' : 'Malformed HTTP request.');
    socket.end(
      `HTTP/1.1 ${status} ${http.STATUS_CODES[status]}\r\ncontent-type: application/json; charset=utf-8\r\n`
      + `content-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`,
    );
  });
  // An Expect header other than 100-continue: Node answers 417 with an empty body unless told how.
  server.on('checkExpectation', (_req, res: http.ServerResponse) => {
    const body = errorBody('EXPECTATION_FAILED', 'Only "Expect: 100-continue" is supported.');
    res.writeHead(417, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(body), connection: 'close' });
    res.end(body);
  });
}
