import { ApolloServerPlugin } from '@apollo/server';
import {
  DocumentNode, getNullableType, GraphQLError, GraphQLInputType, GraphQLSchema, isInputObjectType, isListType, isScalarType, Kind, OperationDefinitionNode,
  getVariableValues, isInputType, isNonNullType, TypeInfo, typeFromAST, ValueNode, visit, visitWithTypeInfo,
} from 'graphql';
import { yearOf, yearProblem, YearRange } from '../common/calendar';
import { controlCharacterProblem } from '../common/control-characters';
import { badUserInput, FieldProblem } from '../common/errors';

/**
 * Input hygiene for every GraphQL request, checked once the operation is resolved and before any
 * resolver (or SQL) runs: no string argument or variable, at any depth (input objects, lists,
 * JSON values, string literals in the document), carries a control character (the rule of
 * common/control-characters.ts), and every date or month input lies in the configured year range.
 * One generic walk instead of a decorator per field, so a new argument is covered without anyone
 * remembering to: PostgreSQL refuses NUL in text and a date of year 0, which surfaced as internal
 * errors. Everything found is reported at once as BAD_USER_INPUT, naming where
 * ("variables.batch.filings[3].unit", or the argument path "filter.search").
 */

/** At most this many problems are listed: more is one systematic mistake, and the answer stays small. */
export const MAX_INPUT_PROBLEMS = 100;

/**
 * Scalars holding a calendar date or month, whose year is checked against the range. This is what
 * keeps year 0000 (which graphql-scalars' LocalDate accepts and PostgreSQL has not) from SQL: MIN_YEAR
 * is at least 1, and the answer is BAD_USER_INPUT naming the field, for literals and variables alike.
 */
const DATED_SCALARS = new Set(['LocalDate', 'YearMonth', 'DateTimeISO']);

class ProblemList {
  readonly list: FieldProblem[] = [];
  total = 0;
  add(field: string, reason: string): void {
    this.total += 1;
    if (this.list.length < MAX_INPUT_PROBLEMS) this.list.push({ field, reason });
  }
}

/** A string's control characters, and for a dated scalar its year. */
function checkLeaf(value: unknown, scalar: string | undefined, at: string, years: YearRange, problems: ProblemList): void {
  if (typeof value === 'string') {
    const control = controlCharacterProblem(value);
    if (control) problems.add(at, control);
  }
  if (scalar === undefined || !DATED_SCALARS.has(scalar)) return;
  const year = value instanceof Date ? value.getUTCFullYear() : typeof value === 'string' && /^\d{4}-/.test(value) ? yearOf(value) : undefined;
  const bad = year === undefined ? undefined : yearProblem(year, years);
  if (bad) problems.add(at, bad);
}

/** Every string (keys included) of a free-form JSON value (the JSONObject scalar). */
function checkJson(value: unknown, at: string, years: YearRange, problems: ProblemList): void {
  if (Array.isArray(value)) value.forEach((v, i) => checkJson(v, `${at}[${i}]`, years, problems));
  else if (value !== null && typeof value === 'object') {
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
      const control = controlCharacterProblem(k);
      if (control) problems.add(at, `a key ${control}`);
      checkJson(v, `${at}.${k}`, years, problems);
    }
  } else checkLeaf(value, undefined, at, years, problems);
}

/** Walks a coerced variable value along its declared type. */
function checkValue(value: unknown, type: GraphQLInputType, at: string, years: YearRange, problems: ProblemList): void {
  if (value === null || value === undefined) return;
  const t = getNullableType(type);
  if (isListType(t)) {
    if (Array.isArray(value)) value.forEach((v, i) => checkValue(v, t.ofType, `${at}[${i}]`, years, problems));
    else checkValue(value, t.ofType, at, years, problems);
  } else if (isInputObjectType(t)) {
    const fields = t.getFields();
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) if (fields[k]) checkValue(v, fields[k].type, `${at}.${k}`, years, problems);
  } else if (typeof value === 'object' && !(value instanceof Date)) {
    checkJson(value, at, years, problems);
  } else {
    checkLeaf(value, isScalarType(t) ? t.name : undefined, at, years, problems);
  }
}

type Variables = Record<string, unknown>;

/**
 * Walks a literal in the document along its type; variables inside it are checked with the
 * variables, except for one thing only their place tells: a null sent for a non-null argument
 * with a default (`first: $n` with `$n: Int` null), which validation lets through and execution
 * then refuses with an error carrying no code.
 */
function checkLiteral(node: ValueNode, type: GraphQLInputType | undefined, at: string, variables: Variables, years: YearRange, problems: ProblemList): void {
  const t = type ? getNullableType(type) : undefined;
  switch (node.kind) {
    case Kind.VARIABLE:
      if (type && isNonNullType(type) && Object.hasOwn(variables, node.name.value) && variables[node.name.value] === null) {
        problems.add(at, `must not be null (variable $${node.name.value} is null; leave the argument out for its default)`);
      }
      return;
    case Kind.NULL:
      return;
    case Kind.LIST: {
      const item = t && isListType(t) ? t.ofType : t;
      node.values.forEach((v, i) => checkLiteral(v, item, `${at}[${i}]`, variables, years, problems));
      return;
    }
    case Kind.OBJECT: {
      const fields = t && isInputObjectType(t) ? t.getFields() : undefined;
      for (const f of node.fields) {
        const control = controlCharacterProblem(f.name.value);
        if (control) problems.add(at, `a key ${control}`);
        checkLiteral(f.value, fields?.[f.name.value]?.type, `${at}.${f.name.value}`, variables, years, problems);
      }
      return;
    }
    case Kind.STRING: {
      const item = t && isListType(t) ? getNullableType(t.ofType) : t; // a single value for a list coerces to a list of one
      checkLeaf(node.value, item && isScalarType(item) ? item.name : undefined, at, years, problems);
      return;
    }
    default:
      return;
  }
}

/** String literals of every argument in the document (field and directive arguments, in fragments too). */
function checkDocument(schema: GraphQLSchema, document: DocumentNode, variables: Variables, years: YearRange, problems: ProblemList): void {
  const typeInfo = new TypeInfo(schema);
  visit(
    document,
    visitWithTypeInfo(typeInfo, {
      Argument(node) {
        checkLiteral(node.value, typeInfo.getInputType() ?? undefined, node.name.value, variables, years, problems);
        return false; // the literal is walked above, with its path
      },
    }),
  );
}

/** graphql's execute stops coercing variables after this many errors (buildExecutionContext's maxErrors). */
const EXECUTION_MAX_ERRORS = 50;

/** Variables with more problems than execution lists: the first ones, each named by its path ("variables.batch.filings[9]"). */
function tooManyVariableErrors(errors: readonly GraphQLError[]): GraphQLError {
  const problems = errors.map((e) => {
    const at = /^Variable "\$([^"]+)" got invalid value .*? at "([^"]+)"/.exec(e.message)?.[2] ?? /^Variable "\$([^"]+)"/.exec(e.message)?.[1];
    return { field: at ? `variables.${at}` : 'variables', reason: e.message };
  });
  const error = badUserInput(`The variables have more than ${EXECUTION_MAX_ERRORS} invalid values; the first ${problems.length} are listed.`, problems);
  error.extensions.http = { status: 400 };
  return error;
}

/** The request's variables, coerced as execution will coerce them, walked along their declared types. */
function checkVariables(schema: GraphQLSchema, operation: OperationDefinitionNode, raw: Record<string, unknown> | undefined, years: YearRange, problems: ProblemList): Variables | undefined {
  const definitions = operation.variableDefinitions ?? [];
  if (definitions.length === 0) return {};
  const coerced = getVariableValues(schema, definitions, raw ?? {}, { maxErrors: EXECUTION_MAX_ERRORS });
  if (coerced.errors) {
    // Values that do not coerce are refused by execution itself, with BAD_USER_INPUT, before any
    // resolver; but past its error limit graphql adds an error without a code (an internal error
    // to the client), so that case is answered here.
    if (coerced.errors.length > EXECUTION_MAX_ERRORS) throw tooManyVariableErrors(coerced.errors.slice(0, EXECUTION_MAX_ERRORS));
    return undefined;
  }
  for (const def of definitions) {
    const name = def.variable.name.value;
    // The declared type, as the schema knows it (validation already checked it is an input type).
    const type = typeFromAST(schema, def.type);
    if (type && isInputType(type)) checkValue(coerced.coerced[name], type, `variables.${name}`, years, problems);
  }
  return coerced.coerced;
}

/**
 * graphql-js 16 validates a subscription against a schema without a Subscription type, then
 * execution fails with an error carrying no code (an internal error to the client): it is the
 * client's request that cannot be answered, so it is refused here, before execution.
 */
function noSubscriptions() {
  const error = badUserInput('This gateway has no subscriptions: send a query or a mutation.', [{ field: 'operation', reason: 'subscription operations are not supported' }]);
  error.extensions.http = { status: 400 };
  return error;
}

/** Apollo plugin: refuses an operation with a bad input value before execution, listing every one found. */
export function inputHygienePlugin(years: YearRange): ApolloServerPlugin {
  const range: YearRange = { minYear: years.minYear, maxYear: years.maxYear };
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ request, document, schema, operation }) {
          if (!operation) return;
          if (operation.operation === 'subscription' && !schema.getSubscriptionType()) throw noSubscriptions();
          const problems = new ProblemList();
          const variables = checkVariables(schema, operation, request.variables, range, problems);
          // Variables that do not coerce: execution refuses the request before looking at the document's values.
          if (variables === undefined) return;
          checkDocument(schema, document, variables, range, problems);
          if (problems.total === 0) return;
          const listed = problems.total > problems.list.length ? ` (first ${problems.list.length} listed)` : '';
          const error = badUserInput(`${problems.total} bad input value(s)${listed}: see extensions.problems`, problems.list);
          // A request that never ran: 400, like graphql's own validation errors.
          error.extensions.http = { status: 400 };
          throw error;
        },
      };
    },
  };
}
