import { GraphQLScalarType, Kind } from 'graphql';
import { GraphQLDateTimeISO, GraphQLJSONObject, GraphQLLocalDate } from 'graphql-scalars';

/** Calendar date `YYYY-MM-DD` (validity dates, as-of dates, plan dates). */
export const LocalDateScalar = GraphQLLocalDate;
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
