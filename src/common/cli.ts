/** Longest message a CLI prints for a failure: one terminal line or two, never a dump. */
const MAX_MESSAGE = 300;

/** SQLSTATE classes and socket errors that mean "the database cannot be reached or refuses us", not "the statement was wrong". */
const UNREACHABLE_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'ETIMEDOUT', '57P01', '57P03', '28P01', '28000', '3D000']);

/** The error itself, or its first inner error when it is an AggregateError without a message of its own. */
function firstInner(e: unknown): unknown {
  let err = e;
  while (err instanceof AggregateError && !err.message && err.errors.length > 0) err = err.errors[0];
  return err;
}

/**
 * The message of an error as one line: the first inner error when the outer has none (pg
 * connecting to every address of a host throws an AggregateError with an empty message), the
 * driver's own text without the SQL the ORM prefixes ("insert into ... - duplicate key ..."), no
 * line breaks, no stack.
 */
export function oneLine(e: unknown): string {
  const err = firstInner(e);
  let message = err instanceof Error ? err.message || err.name : String(err);
  const code = (err as { code?: unknown } | null | undefined)?.code;
  // MikroORM's driver exceptions read "<sql> - <server message>"; the server's part is the news.
  if (typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code) && message.includes(' - ')) message = message.slice(message.lastIndexOf(' - ') + 3);
  message = message.replace(/:\s*[\r\n]+\s*/g, ': ').replace(/\s*[\r\n]+\s*/g, '; ').trim();
  return message.length > MAX_MESSAGE ? `${message.slice(0, MAX_MESSAGE - 1)}…` : message;
}

/** The code of an error or of its first inner error (see oneLine). */
function codeOf(e: unknown): string | undefined {
  const code = (firstInner(e) as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

/**
 * For CLIs whose only remote is the database (import, api-key): a database failure as one line
 * an operator can act on, or undefined when `e` is not one.
 */
export function databaseFailure(e: unknown): string | undefined {
  const code = codeOf(e);
  if (code === undefined) return undefined;
  if (UNREACHABLE_CODES.has(code) || /^08/.test(code)) return `cannot use the database: ${oneLine(e)} (check DATABASE_URL, or that PostgreSQL is running)`;
  if (/^[0-9A-Z]{5}$/.test(code)) return `database error ${code}: ${oneLine(e)}`;
  return undefined;
}

/**
 * Runs a CLI's main and exits with its code. Exit 2 for usage errors (commander prints them) and
 * unexpected failures, with a one-line message: no stack traces for operators.
 */
export function runCli(name: string, main: (argv: string[]) => Promise<number>, expected?: (e: unknown) => string | undefined): void {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (e: unknown) => {
      const code = (e as { code?: string } | null | undefined)?.code;
      if (code === 'commander.helpDisplayed' || code === 'commander.help' || code === 'commander.version') process.exit(0);
      if (typeof code === 'string' && code.startsWith('commander.')) process.exit(2);
      console.error(expected?.(e) ?? `${name} failed: ${oneLine(e)}`);
      process.exit(2);
    },
  );
}
