import { SqlClient } from '../db/sql';
import { UNIT_INDEX_COLUMNS, UnitCodeIndex, ValiditySpan } from '../units/unit-validity';

type UnitIndexRow = { id: number; code: string } & ValiditySpan;

/**
 * The units a session may write: those holding one of `unitCodes` (at any date), with everything
 * below them; ['*'] or absent: any unit. `outside` and `catalogueDenied` are the words a problem
 * uses ("the units this source covers", "the scope of key ha-noi").
 */
export interface UnitScope {
  unitCodes: string[];
  /** Who set the scope, as a problem says it: "unit 79 is outside <outside> (01)". */
  outside: string;
  /** Set when the writer may not write the procedure catalogue: the reason each catalogue section gets. */
  catalogueDenied?: string;
}

export const isRestricted = (scope: UnitScope | undefined): scope is UnitScope => !!scope && !scope.unitCodes.includes('*');

/** SQL: index rows of the units holding one of the codes $1, and of every unit below them (the one spelling of "in scope"). */
const SCOPE_UNITS = `WITH RECURSIVE down AS (SELECT id FROM unit WHERE code = ANY($1) UNION SELECT u.id FROM unit u JOIN down d ON u.parent_id = d.id)
  SELECT ${UNIT_INDEX_COLUMNS} FROM unit u JOIN down USING (id)`;

/** "yyyymmdd" day number → "YYYY-MM-DD" (for problem reasons only: the hot path stays numeric). */
export const isoDay = (day: number): string => {
  const s = String(day);
  return `${s.slice(0, 4)}-${s.slice(4, 6)}-${s.slice(6, 8)}`;
};

/**
 * The ingest core's code resolution, for every row of every source: a unit code read at the
 * fact's date (through UnitCodeIndex, the one owner of "valid on a date"), a procedure code, and
 * whether the unit is within the session's scope. Codes are loaded as rows name them (one query
 * per chunk for the codes not seen yet), or all at once for a dossier feed, which resolves
 * millions of dossiers synchronously.
 */
export class CodeResolver {
  private readonly unitRows: UnitIndexRow[] = [];
  private readonly loadedCodes = new Set<string>();
  private index = new UnitCodeIndex([]);
  private readonly procedures = new Map<string, number>();
  /** Ids of the units in scope; null: any unit; undefined: not loaded yet. */
  private inScope: Set<number> | null | undefined;
  private scopeRows: UnitIndexRow[] | undefined;

  constructor(
    private readonly tx: SqlClient,
    readonly scope?: UnitScope,
  ) {
    if (!isRestricted(scope)) this.inScope = null;
  }

  /** Loads the versions of the unit codes not loaded yet. */
  async loadUnits(codes: Iterable<string>): Promise<void> {
    const missing = new Set<string>();
    for (const c of codes) if (typeof c === 'string' && !this.loadedCodes.has(c)) missing.add(c);
    if (missing.size === 0) return;
    const rows = await this.tx.query<UnitIndexRow>(`SELECT ${UNIT_INDEX_COLUMNS} FROM unit u WHERE u.code = ANY($1)`, [[...missing]]);
    for (const c of missing) this.loadedCodes.add(c);
    for (const r of rows) this.unitRows.push(r);
    this.index = new UnitCodeIndex(this.unitRows);
  }

  /** Loads the procedure codes not known yet (procedures this session wrote are known: see noteProcedures). */
  async loadProcedures(codes: Iterable<string>): Promise<void> {
    const missing = new Set<string>();
    for (const c of codes) if (typeof c === 'string' && !this.procedures.has(c)) missing.add(c);
    if (missing.size === 0) return;
    this.noteProcedures(await this.tx.query<{ id: number; code: string }>('SELECT id, code FROM procedure WHERE code = ANY($1)', [[...missing]]));
  }

  /** Loads every procedure (a dossier feed names any of them). */
  async loadAllProcedures(): Promise<Map<string, number>> {
    this.noteProcedures(await this.tx.query<{ id: number; code: string }>('SELECT id, code FROM procedure'));
    return this.procedures;
  }

  noteProcedures(rows: { id: number; code: string }[]): void {
    for (const r of rows) this.procedures.set(r.code, r.id);
  }

  /** Loads the ids of the units in scope (once). */
  async loadScope(): Promise<void> {
    if (this.inScope !== undefined) return;
    this.scopeRows = await this.tx.query<UnitIndexRow>(SCOPE_UNITS, [this.scope!.unitCodes]);
    this.inScope = new Set(this.scopeRows.map((r) => r.id));
  }

  /**
   * An index of exactly the units the session may write (every unit when unrestricted): a miss is
   * a problem, told apart later by describeMiss. For a dossier feed's hot path.
   */
  async writableIndex(): Promise<UnitCodeIndex> {
    if (!isRestricted(this.scope)) return new UnitCodeIndex(await this.tx.query<UnitIndexRow>(`SELECT ${UNIT_INDEX_COLUMNS} FROM unit u`));
    await this.loadScope();
    return new UnitCodeIndex(this.scopeRows!);
  }

  /** The unit holding `code` on `date` ("YYYY-MM-DD"), if loaded (loadUnits). */
  unitAt(code: string, date: string): number | undefined {
    return this.index.at(code, date);
  }

  procedure(code: string): number | undefined {
    return this.procedures.get(code);
  }

  /** Whether the unit id is outside the scope (loadScope first). */
  outside(unitId: number): boolean {
    return this.inScope !== null && !this.inScope!.has(unitId);
  }

  /** Why no unit was found for `code` on `date` (its code loaded). */
  missingUnit(code: string, date: string): string {
    return this.index.knows(code) ? `unit ${code} did not exist on ${date}` : `unknown unit code ${code}`;
  }

  outsideReason(code: string): string {
    return `unit ${code} is outside ${this.scope!.outside} (${this.scope!.unitCodes.join(', ')})`;
  }

  /**
   * Why a unit code missed the writable index on `date`: unknown, not valid then, or outside the
   * scope; with whether it is a problem of permission.
   */
  async describeMiss(code: string, date: string): Promise<{ reason: string; forbidden: boolean }> {
    await this.loadUnits([code]);
    const id = this.unitAt(code, date);
    if (id === undefined) return { reason: this.missingUnit(code, date), forbidden: false };
    return { reason: this.outsideReason(code), forbidden: true };
  }
}
