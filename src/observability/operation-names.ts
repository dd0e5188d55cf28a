/** A GraphQL name (the spec's Name), bounded: anything else a client sends is not a name. */
const NAME = /^[_A-Za-z][_0-9A-Za-z]{0,99}$/;

export const ANONYMOUS = '(anonymous)';
export const OTHER = '(other)';
export const INVALID = '(invalid)';

/**
 * Operation names as metric label values. They are chosen by clients, so they are bounded: a
 * name gets a value of its own only if it is a GraphQL name of at most 100 characters (no control
 * characters, no spaces) and either is known in advance (the documented queries) or is among the
 * first `max` distinct names of operations that succeeded. A name first seen on a failed operation
 * is counted as "(other)" until it succeeds once, so that a stream of junk requests cannot take
 * the slots of the dashboards' queries. At most `max` + known + 3 values, for the life of the process.
 */
export class OperationNames {
  private readonly admitted = new Set<string>();
  private readonly known: Set<string>;

  constructor(
    private readonly max: number,
    known: Iterable<string> = [],
  ) {
    this.known = new Set([...known].filter((n) => NAME.test(n)));
  }

  label(name: string | undefined, succeeded: boolean): string {
    if (name === undefined || name === '') return ANONYMOUS;
    if (!NAME.test(name)) return INVALID;
    if (this.known.has(name) || this.admitted.has(name)) return name;
    if (succeeded && this.admitted.size < this.max) {
      this.admitted.add(name);
      return name;
    }
    return OTHER;
  }
}

/** A client's operation name for a log line: control characters and length stripped, nothing else changed. */
export function loggableName(name: unknown): string | undefined {
  if (typeof name !== 'string' || name === '') return undefined;
  // eslint-disable-next-line no-control-regex
  return name.replace(/[\u0000-\u001F\u007F-\u009F\u2028\u2029]/g, '').slice(0, 100);
}
