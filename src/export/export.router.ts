import { ApolloServer } from '@apollo/server';
import { stringify } from 'csv-stringify';
import express from 'express';
import { getOperationAST, GraphQLError, OperationDefinitionNode, parse } from 'graphql';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { today } from '../common/calendar';
import { GatewayConfig } from '../config/config';
import { GatewayContext } from '../server/context';
import { errorBody } from '../server/error.middleware';
import { Logger } from '../server/logger';
import { getParamsOf } from '../server/request-shape.middleware';
import { Cell, findRows, Table, toTable } from './flatten-rows';
import { SavedViews, viewVariables, ViewParameterError } from './saved-views';

/**
 * GET /export.csv|json?query=<GraphQL>&variables=<JSON>[&operationName=…][&rows=<path>] and
 * GET /export/<view>.csv|json?<variable>=…: a read-only query run through the same Apollo server
 * as /graphql (executeOperation: the same cost, depth and alias limits, input checks and error
 * masking), behind the same HTTP guards (start-up, API key, rate limit, document size) mounted in
 * app.ts. The answer's rows come back as a table (flatten-rows.ts), CSV or JSON, as an attachment.
 */
export interface ExportDeps {
  apollo: ApolloServer<GatewayContext>;
  context: (args: { req: express.Request; res: express.Response }) => Promise<GatewayContext>;
  views: SavedViews;
  config: GatewayConfig;
  logger: Logger;
}

type Format = 'csv' | 'json';

interface ExportRequest {
  query: string;
  variables: Record<string, unknown>;
  operationName?: string;
  /** A dotted path to the list to export, when the first list is not the one wanted. */
  rowsPath?: string;
  /** The file name's stem when the operation has no name. */
  fallbackName: string;
}

/** A refusal before anything runs: 400 naming the parameter. */
class BadExportRequest extends Error {
  constructor(readonly field: string, readonly reason: string, readonly code = 'BAD_REQUEST') {
    super(`${field}: ${reason}`);
  }
}

const AD_HOC_PARAMS = new Set(['query', 'variables', 'operationName', 'rows']);

/** The one value of a parameter; repeated is refused (which one would count?). */
function single(params: URLSearchParams, name: string): string | undefined {
  const all = params.getAll(name);
  if (all.length > 1) throw new BadExportRequest(name, 'given more than once');
  return all[0];
}

/** query, variables (a JSON object), operationName and rows of an ad hoc export. */
function adHocRequest(params: URLSearchParams): ExportRequest {
  for (const name of params.keys()) {
    if (!AD_HOC_PARAMS.has(name)) throw new BadExportRequest(name, `unknown parameter (accepted: ${[...AD_HOC_PARAMS].join(', ')})`);
  }
  const query = single(params, 'query');
  if (query === undefined || query.trim() === '') throw new BadExportRequest('query', 'required: the GraphQL query to export');
  const rawVariables = single(params, 'variables');
  let variables: unknown = {};
  if (rawVariables !== undefined && rawVariables.trim() !== '') {
    try {
      variables = JSON.parse(rawVariables);
    } catch {
      throw new BadExportRequest('variables', 'not valid JSON');
    }
    if (typeof variables !== 'object' || variables === null || Array.isArray(variables)) throw new BadExportRequest('variables', 'must be a JSON object');
  }
  return { query, variables: variables as Record<string, unknown>, operationName: single(params, 'operationName'), rowsPath: single(params, 'rows'), fallbackName: 'export' };
}

/** A saved view's query with its variables from the query string. */
function viewRequest(deps: ExportDeps, name: string, params: URLSearchParams): ExportRequest {
  const view = deps.views.get(name);
  if (!view) throw new BadExportRequest('view', `no saved view "${name.slice(0, 64)}" (views: ${deps.views.list().map((v) => v.name).join(', ')})`, 'NOT_FOUND');
  try {
    return { query: view.query, variables: viewVariables(view, params, deps.config), fallbackName: view.name };
  } catch (e) {
    if (e instanceof ViewParameterError) throw new BadExportRequest(e.field, e.reason);
    throw e;
  }
}

/** The operation that would run; mutations and subscriptions are refused (an export is a read). */
function checkReadOnly(request: ExportRequest, maxTokens: number): OperationDefinitionNode | undefined {
  let doc;
  try {
    doc = parse(request.query, { maxTokens, noLocation: true });
  } catch (e) {
    if (e instanceof GraphQLError) throw new BadExportRequest('query', e.message, 'GRAPHQL_PARSE_FAILED');
    throw e;
  }
  // None or several without operationName: Apollo says so in its own words.
  const op = getOperationAST(doc, request.operationName) ?? undefined;
  if (op && op.operation !== 'query') throw new BadExportRequest('query', `exports run queries only, not a ${op.operation}: send mutations to POST /graphql`);
  return op;
}

/** "<operation or view>-<today>.<ext>", letters, digits, - and _ only (a header value must stay one token). */
function fileName(op: OperationDefinitionNode | undefined, request: ExportRequest, format: Format): string {
  const stem = (request.operationName ?? op?.name?.value ?? request.fallbackName).replace(/[^A-Za-z0-9_-]/g, '').slice(0, 80) || 'export';
  return `${stem}-${today()}.${format}`;
}

function sendError(res: express.Response, status: number, errors: readonly unknown[]): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  res.status(status).type('application/json; charset=utf-8').send(JSON.stringify({ errors }));
}

/** The status of an answer with errors: the gateway's own (413, 400…) when it set one, 500 for a masked internal error, else 400. */
function errorStatus(httpStatus: number | undefined, errors: readonly { extensions?: Record<string, unknown> }[]): number {
  if (httpStatus !== undefined && httpStatus >= 400) return httpStatus;
  return errors.some((e) => e.extensions?.code === 'INTERNAL_SERVER_ERROR') ? 500 : 400;
}

/**
 * Text a spreadsheet would run as a formula (OWASP's CSV injection list): a name pushed by a source
 * as `=HYPERLINK("http://…")` must open as text. Only text cells are guarded; numbers stay numbers.
 */
const FORMULA_START = /^[=+\-@\t\r]/;

function textCell(value: string): string {
  return FORMULA_START.test(value) ? `'${value}` : value;
}

/** A cell as CSV text: numbers as JavaScript writes them (every digit GraphQL sent), booleans as words, lists joined. */
function cellText(cell: Cell): string {
  if (cell === null) return '';
  if (Array.isArray(cell)) return textCell(cell.map((c) => (c === null ? '' : String(c))).join('; '));
  return typeof cell === 'string' ? textCell(cell) : String(cell);
}

/** RFC 4180 (CRLF, quotes doubled, fields with separators quoted), UTF-8 with a BOM so Excel reads Vietnamese, streamed. */
async function writeCsv(res: express.Response, table: Table): Promise<void> {
  const records = Readable.from((function* lines() {
    yield table.columns;
    for (const row of table.rows) yield row.map(cellText);
  })());
  await pipeline(records, stringify({ bom: true, record_delimiter: 'windows' }), res);
}

function writeJson(res: express.Response, table: Table): void {
  res.send(JSON.stringify(table.rows.map((row) => Object.fromEntries(table.columns.map((c, i) => [c, row[i]])))));
}

/** Runs the request through Apollo and answers the table, or the GraphQL errors as JSON. */
async function runExport(deps: ExportDeps, req: express.Request, res: express.Response, request: ExportRequest, format: Format): Promise<void> {
  const op = checkReadOnly(request, deps.config.maxQueryTokens);
  const contextValue = await deps.context({ req, res });
  const response = await deps.apollo.executeOperation({ query: request.query, variables: request.variables, operationName: request.operationName }, { contextValue });
  if (response.body.kind !== 'single') return sendError(res, 400, [{ message: 'Incremental delivery is not exported.', extensions: { code: 'BAD_REQUEST' } }]);
  const { data, errors } = response.body.singleResult;
  if (errors?.length) return sendError(res, errorStatus(response.http.status, errors), errors);
  const found = findRows(data, request.rowsPath);
  if (!found && request.rowsPath !== undefined) {
    return sendError(res, 400, [{ message: `rows: "${request.rowsPath.slice(0, 200)}" is not a list of objects in the answer.`, extensions: { code: 'BAD_REQUEST', field: 'rows' } }]);
  }
  // No list at all (a single KPI): the answer itself is the one row.
  const table = toTable(found ?? { path: '', rows: [data as Record<string, never>] });
  res.status(200);
  res.setHeader('content-disposition', `attachment; filename="${fileName(op, request, format)}"`);
  res.setHeader('x-export-rows', `${table.rows.length} rows from ${table.path || 'the answer'}`);
  res.setHeader('cache-control', 'no-store');
  if (format === 'json') {
    res.type('application/json; charset=utf-8');
    writeJson(res, table);
  } else {
    res.type('text/csv; charset=utf-8');
    await writeCsv(res, table);
  }
}

/** Answers a refusal or failure: 400/404 naming the field, a masked 500 otherwise (never a stack or SQL). */
function handleFailure(deps: ExportDeps, res: express.Response, e: unknown): void {
  if (e instanceof BadExportRequest) {
    const status = e.code === 'NOT_FOUND' ? 404 : 400;
    if (!res.headersSent) res.status(status).type('application/json; charset=utf-8').send(errorBody(e.code, e.message, { problems: [{ field: e.field, reason: e.reason }] }));
    return;
  }
  deps.logger.error({ err: e }, 'export failed');
  sendError(res, 500, [{ message: 'Internal server error', extensions: { code: 'INTERNAL_SERVER_ERROR' } }]);
}

/** `name.csv` → ['name', 'csv']; anything else is not an export. */
function splitFile(file: string): [string, Format] | undefined {
  const m = /^(.+)\.(csv|json)$/.exec(file);
  return m ? [m[1], m[2] as Format] : undefined;
}

export function exportRouter(deps: ExportDeps): express.Router {
  const router = express.Router();
  router.get('/export/views.json', (_req, res) => {
    res.json({ views: deps.views.list() });
  });
  router.get(['/export.csv', '/export.json'], async (req, res) => {
    try {
      await runExport(deps, req, res, adHocRequest(getParamsOf(req)), req.path.endsWith('.csv') ? 'csv' : 'json');
    } catch (e) {
      handleFailure(deps, res, e);
    }
  });
  router.get('/export/:file', async (req, res, next) => {
    const parts = splitFile(String(req.params.file));
    if (!parts) return next();
    try {
      await runExport(deps, req, res, viewRequest(deps, parts[0], getParamsOf(req)), parts[1]);
    } catch (e) {
      handleFailure(deps, res, e);
    }
  });
  return router;
}
