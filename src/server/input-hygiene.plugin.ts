import { ApolloServerPlugin } from '@apollo/server';
import {
  DocumentNode, getNullableType, GraphQLError, GraphQLInputType, GraphQLSchema, isInputObjectType, isListType, isScalarType, Kind, OperationDefinitionNode,
  isInputType, isNonNullType, TypeInfo, typeFromAST, ValueNode, visit, visitWithTypeInfo,
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
const MAX_INPUT_PROBLEMS = 100;

/**
 * Scalars holding a calendar date or month, whose year is checked against the range. This is what
 * keeps year 0000 (which graphql-scalars' LocalDate accepts and PostgreSQL has not) from SQL: MIN_YEAR
 * is at least 1, and the answer is BAD_USER_INPUT naming the field, for literals and variables alike.
 */
const DATED_SCALARS = new Set(['LocalDate', 'YearMonth', 'DateTimeISO']);

/** Problems found, counted in full and listed up to MAX_INPUT_PROBLEMS. */
export class ProblemList {
  readonly list: FieldProblem[] = [];
  total = 0;
  add(field: string, reason: string): void {
    this.total += 1;
    if (this.list.length < MAX_INPUT_PROBLEMS) this.list.push({ field, reason });
  }
}

/** A string's control characters, and for a dated scalar its year. */
function checkLeaf(value: unknown, scalar: string | undefined, at: string, years: YearRange, problems: Pick<ProblemList, 'add'>): void {
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

/**
 * Walks a variable's value, as sent, along its declared type. Not the coerced value: coercing a
 * 200,000-row batch takes about 2 s, and execution coerces it anyway; a value of the wrong shape
 * is skipped here and refused by that coercion (BAD_USER_INPUT).
 */
function checkValue(value: unknown, type: GraphQLInputType, at: string, years: YearRange, problems: ProblemList): void {
  if (value === null || value === undefined) return;
  const t = getNullableType(type);
  if (isListType(t)) {
    if (Array.isArray(value)) value.forEach((v, i) => checkValue(v, t.ofType, `${at}[${i}]`, years, problems));
    else checkValue(value, t.ofType, at, years, problems);
  } else if (isInputObjectType(t)) {
    if (typeof value !== 'object' || Array.isArray(value)) return;
    const fields = t.getFields();
    for (const k in value) if (Object.hasOwn(fields, k)) checkValue((value as Record<string, unknown>)[k], fields[k].type, `${at}.${k}`, years, problems);
  } else if (typeof value === 'object' && !(value instanceof Date)) {
    checkJson(value, at, years, problems);
  } else {
    checkLeaf(value, isScalarType(t) ? t.name : undefined, at, years, problems);
  }
}

type Variables = Record<string, unknown>;

/**
 * What the document's literals tell, in document order: a problem found in a literal, or a
 * variable used where a non-null argument with a default is expected, to be checked against the
 * request's variables (a null sent there: see checkLiteral). It depends on the document alone, so
 * it is worked out once per parsed document (Apollo hands the same DocumentNode for the same text).
 */
export type LiteralStep = { field: string; reason: string; variable?: undefined } | { field: string; variable: string };

/** Collects a literal walk's steps; `add` has ProblemList's shape, for checkLeaf. */
class LiteralSteps {
  readonly steps: LiteralStep[] = [];
  add(field: string, reason: string): void {
    this.steps.push({ field, reason });
  }
}

/**
 * Walks a literal in the document along its type; variables inside it are checked with the
 * variables, except for one thing only their place tells: a null sent for a non-null argument
 * with a default (`first: $n` with `$n: Int` null), which validation lets through and execution
 * then refuses (see codeInputErrors); recorded here as a step, named with the rest.
 */
function checkLiteral(node: ValueNode, type: GraphQLInputType | undefined, at: string, years: YearRange, steps: LiteralSteps): void {
  const t = type ? getNullableType(type) : undefined;
  switch (node.kind) {
    case Kind.VARIABLE:
      if (type && isNonNullType(type)) steps.steps.push({ field: at, variable: node.name.value });
      return;
    case Kind.NULL:
      return;
    case Kind.LIST: {
      const item = t && isListType(t) ? t.ofType : t;
      node.values.forEach((v, i) => checkLiteral(v, item, `${at}[${i}]`, years, steps));
      return;
    }
    case Kind.OBJECT: {
      const fields = t && isInputObjectType(t) ? t.getFields() : undefined;
      // Field names are GraphQL names: the lexer admits no control character in them.
      for (const f of node.fields) {
        checkLiteral(f.value, fields?.[f.name.value]?.type, `${at}.${f.name.value}`, years, steps);
      }
      return;
    }
    case Kind.STRING: {
      const item = t && isListType(t) ? getNullableType(t.ofType) : t; // a single value for a list coerces to a list of one
      checkLeaf(node.value, item && isScalarType(item) ? item.name : undefined, at, years, steps);
      return;
    }
    default:
      return;
  }
}

/** String literals of every argument in the document (field and directive arguments, in fragments too) and of variables' defaults. */
export function literalSteps(schema: GraphQLSchema, document: DocumentNode, years: YearRange): LiteralStep[] {
  const typeInfo = new TypeInfo(schema);
  const steps = new LiteralSteps();
  visit(
    document,
    visitWithTypeInfo(typeInfo, {
      Argument(node) {
        checkLiteral(node.value, typeInfo.getInputType() ?? undefined, node.name.value, years, steps);
        return false; // the literal is walked above, with its path
      },
      VariableDefinition(node) {
        if (node.defaultValue) checkLiteral(node.defaultValue, typeInfo.getInputType() ?? undefined, `variables.${node.variable.name.value}`, years, steps);
        return false;
      },
    }),
  );
  return steps.steps;
}

/** The document's steps replayed against the request's variables, in document order. */
function checkDocument(steps: readonly LiteralStep[], variables: Variables, problems: ProblemList): void {
  for (const step of steps) {
    if (step.variable === undefined) problems.add(step.field, step.reason);
    else if (Object.hasOwn(variables, step.variable) && variables[step.variable] === null) {
      problems.add(step.field, `must not be null (variable $${step.variable} is null; leave the argument out for its default)`);
    }
  }
}

/** The request's variables, as sent, walked along their declared types. */
function checkVariables(schema: GraphQLSchema, operation: OperationDefinitionNode, raw: Variables, years: YearRange, problems: ProblemList): void {
  for (const def of operation.variableDefinitions ?? []) {
    const name = def.variable.name.value;
    // The declared type, as the schema knows it (validation already checked it is an input type).
    const type = typeFromAST(schema, def.type);
    if (type && isInputType(type) && Object.hasOwn(raw, name)) checkValue(raw[name], type, `variables.${name}`, years, problems);
  }
}

/**
 * Input errors graphql-js raises during execution without a code, which would reach the client as
 * internal errors: past 50 bad variable values it adds "Too many errors processing variables", and
 * an argument's value that does not coerce ("Argument "first" of non-null type "Int!" must not be
 * null.") is a field error. Both are the client's doing: BAD_USER_INPUT, naming the argument.
 */
const UNCODED_INPUT_ERRORS: [RegExp, (m: RegExpExecArray) => string][] = [
  [/^Too many errors processing variables, error limit reached\. Execution aborted\.$/, () => 'variables'],
  [/^Argument "([^"]+)" (?:of (?:non-null|required) type "[^"]+" (?:must not be null|was provided the variable "\$[^"]+" which was not provided a runtime value)|has invalid value .*)\.?$/s, (m) => m[1]],
];

function codeInputErrors(errors: readonly GraphQLError[]): void {
  for (const error of errors) {
    if (error.extensions.code !== undefined) continue;
    for (const [pattern, field] of UNCODED_INPUT_ERRORS) {
      const m = pattern.exec(error.message);
      if (!m) continue;
      // The error's own extensions object is what Apollo formats next (didEncounterErrors runs before formatError).
      Object.assign(error.extensions, { code: 'BAD_USER_INPUT', problems: [{ field: field(m), reason: error.message }] });
      break;
    }
  }
}

/**
 * Subscriptions are served over WebSocket (src/live/), not over HTTP: Apollo would run one as a
 * query-like request with no stream to answer on. It is the client's request that cannot be
 * answered here, so it is refused before execution, saying where to go.
 */
function noSubscriptions() {
  const error = badUserInput('Subscriptions are served over WebSocket (graphql-ws protocol, graphql-transport-ws) on this same path: send queries and mutations over HTTP.', [{ field: 'operation', reason: 'subscription operations are not served over HTTP' }]);
  error.extensions.http = { status: 400 };
  return error;
}

/**
 * The hygiene rules on one resolved operation: the BAD_USER_INPUT listing every bad value, or
 * undefined. Also run on operations over WebSocket (src/live/live.server.ts).
 */
export function inputHygieneError(
  schema: GraphQLSchema, document: DocumentNode, operation: OperationDefinitionNode, variables: Variables, years: YearRange,
  /** The document's literal steps, when the caller keeps them per document (the HTTP plugin does). */
  steps: readonly LiteralStep[] = literalSteps(schema, document, years),
): GraphQLError | undefined {
  const problems = new ProblemList();
  checkVariables(schema, operation, variables, years, problems);
  checkDocument(steps, variables, problems);
  if (problems.total === 0) return undefined;
  const listed = problems.total > problems.list.length ? ` (first ${problems.list.length} listed)` : '';
  const error = badUserInput(`${problems.total} bad input value(s)${listed}: see extensions.problems`, problems.list);
  // A request that never ran: 400, like graphql's own validation errors.
  error.extensions.http = { status: 400 };
  return error;
}

/** Apollo plugin: refuses an operation with a bad input value before execution, listing every one found. */
export function inputHygienePlugin(years: YearRange): ApolloServerPlugin {
  const range: YearRange = { minYear: years.minYear, maxYear: years.maxYear };
  // Per parsed document (held by Apollo's document cache, so bounded by it), with the schema it was read against.
  const stepsOf = new WeakMap<DocumentNode, { schema: GraphQLSchema; steps: LiteralStep[] }>();
  const documentSteps = (schema: GraphQLSchema, document: DocumentNode): LiteralStep[] => {
    const known = stepsOf.get(document);
    if (known?.schema === schema) return known.steps;
    const steps = literalSteps(schema, document, range);
    stepsOf.set(document, { schema, steps });
    return steps;
  };
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ request, document, schema, operation }) {
          if (!operation) return;
          if (operation.operation === 'subscription') throw noSubscriptions();
          const error = inputHygieneError(schema, document, operation, request.variables ?? {}, range, documentSteps(schema, document));
          if (error) throw error;
        },
        async didEncounterErrors({ errors }) {
          codeInputErrors(errors);
        },
      };
    },
  };
}
