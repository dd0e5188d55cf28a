import { GraphQLScalarType, Kind } from 'graphql';
import { GraphQLDateTimeISO, GraphQLJSONObject, GraphQLLocalDate } from 'graphql-scalars';

const LOCAL_DATE = /^\d{4}-\d{2}-\d{2}$/;

/**
 * Calendar date `YYYY-MM-DD` (validity dates, as-of dates, plan dates): graphql-scalars' LocalDate
 * for what clients send (its checks and its messages), but answers are written without checking
 * each date again. Every date the gateway answers was read from a PostgreSQL `date` (formatted
 * by to_char), valid by construction; graphql-scalars' serialize built a Date and an ISO string
 * for each one, to compare them: 1.6% of a unit lookup's CPU profile through the compiled reads'
 * lane (two dates and a parent per answer; a 50-unit page has a hundred). A string of another
 * shape, or anything else, still goes through graphql-scalars' serialize.
 */
export const LocalDateScalar = new GraphQLScalarType<string, string>({
  ...GraphQLLocalDate.toConfig(),
  serialize: (value) => (typeof value === 'string' && LOCAL_DATE.test(value) ? value : (GraphQLLocalDate.serialize(value) as string)),
});

/** Instants (ingest runs, provenance), ISO 8601 in UTC. */
export const DateTimeScalar = GraphQLDateTimeISO;
export const JSONObjectScalar = GraphQLJSONObject;

const MONTH = /^(\d{4})-(0[1-9]|1[0-2])$/;

function parseMonth(value: unknown): string {
  if (typeof value !== 'string' || !MONTH.test(value)) {
    throw new TypeError(`Month must be a string "YYYY-MM", got ${JSON.stringify(value)}`);
  }
  return value;
}

/** A calendar month `YYYY-MM`: the period of monthly filing statistics. */
export const YearMonthScalar = new GraphQLScalarType<string, string>({
  name: 'YearMonth',
  description: 'A calendar month, "YYYY-MM".',
  serialize: (value) => {
    // Stored as the first day of the month (a date column).
    const s = value instanceof Date ? value.toISOString().slice(0, 10) : String(value);
    return s.slice(0, 7);
  },
  parseValue: parseMonth,
  parseLiteral: (ast) => {
    if (ast.kind !== Kind.STRING) throw new TypeError('Month must be a string "YYYY-MM"');
    return parseMonth(ast.value);
  },
});

export function monthToDate(month: string): string {
  return `${month}-01`;
}
