/**
 * Counts SQL statements sent by this process (ORM and raw pool alike), so tests can prove that a
 * nested query costs a fixed number of statements rather than one per row.
 */
export class QueryCounter {
  private count = 0;
  readonly statements: string[] = [];
  private keep = false;

  record(sql: string): void {
    this.count += 1;
    if (this.keep) this.statements.push(sql);
  }

  /** Starts a fresh count; with keep, the statements are kept for inspection. */
  reset(keep = false): void {
    this.count = 0;
    this.keep = keep;
    this.statements.length = 0;
  }

  get total(): number {
    return this.count;
  }
}

export const queryCounter = new QueryCounter();
