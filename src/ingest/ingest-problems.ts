import { escapeControlCharacters } from '../common/control-characters';
import { FieldProblem } from '../common/errors';

/** At most this many problems are listed; a batch with more is usually one systematic mistake. */
export const MAX_PROBLEMS = 1000;

/**
 * What kind of problem: 'invalid' (the batch itself is wrong: format, unknown codes, duplicates)
 * or 'forbidden' (well-formed, but outside what the sender may write: units outside its scope,
 * the catalogue without the permission).
 */
export type ProblemKind = 'invalid' | 'forbidden';

/**
 * Every problem of a batch or run, whatever found it (the batch rules, code resolution, scope), up
 * to MAX_PROBLEMS listed; the total counts them all. Fields and reasons echo the input (keys,
 * codes): control characters in them are escaped, as the run record is PostgreSQL text.
 */
export class ProblemList {
  readonly list: FieldProblem[] = [];
  total = 0;
  /** Problems of kind 'invalid' (listed or not): any makes the rejection 'invalid'. */
  invalid = 0;

  add(field: string, reason: string, kind: ProblemKind = 'invalid'): void {
    this.total += 1;
    if (kind === 'invalid') this.invalid += 1;
    if (this.list.length < MAX_PROBLEMS) this.list.push({ field: escapeControlCharacters(field), reason: escapeControlCharacters(reason) });
  }

  /** Counts problems found but not listed (another list's overflow). */
  addUnlisted(count: number, kind: ProblemKind = 'invalid'): void {
    this.total += count;
    if (kind === 'invalid') this.invalid += count;
  }

  /** Whether the list is full: finding more only counts them. */
  get full(): boolean {
    return this.list.length >= MAX_PROBLEMS;
  }

  /**
   * The rejection's kind: 'forbidden' only when every problem is one of permission (the batch is
   * right, the sender may not write it); any format or reference problem makes it 'invalid', and
   * the permission problems are listed with the others, so one answer says everything.
   */
  get kind(): ProblemKind {
    return this.invalid > 0 ? 'invalid' : 'forbidden';
  }
}

/** Why a batch was refused: each problem names the row and field. Nothing of the batch was written. */
export class BatchRejected extends Error {
  constructor(
    readonly kind: ProblemKind,
    readonly problems: FieldProblem[],
    readonly total: number,
    readonly runId?: number,
  ) {
    super(`${kind === 'invalid' ? 'Batch rejected' : 'Batch outside the API key scope'}: ${total} problem(s)`);
  }
}
