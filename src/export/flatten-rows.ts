/**
 * Turns a GraphQL answer into a table: the rows are the answer's first list of objects (a list
 * named `rows` or `nodes` wins wherever it is, so `aggregate { coverage sources rows }` exports
 * its rows, not its sources), and each row is flattened into dotted columns.
 */
export type Cell = string | number | boolean | null | (string | number | boolean | null)[];

export interface Table {
  /** Where the rows were found, as a dotted path ("aggregate.rows"). */
  path: string;
  columns: string[];
  rows: Cell[][];
}

type Json = null | string | number | boolean | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

/** Lists named so are the rows of a result, whatever comes before them (connections, aggregate results). */
const ROW_LISTS = new Set(['rows', 'nodes']);

const isObject = (v: unknown): v is JsonObject => typeof v === 'object' && v !== null && !Array.isArray(v);
const isObjectList = (v: unknown): v is Json[] => Array.isArray(v) && v.every((x) => x === null || isObject(x));

/** Depth-first, in the order the answer's fields were selected: every list of objects and its path. */
function listsIn(value: JsonObject, prefix: string[] = []): { path: string[]; list: Json[] }[] {
  const found: { path: string[]; list: Json[] }[] = [];
  for (const [key, v] of Object.entries(value)) {
    if (isObjectList(v) && v.length > 0) found.push({ path: [...prefix, key], list: v });
    else if (isObject(v)) found.push(...listsIn(v, [...prefix, key]));
  }
  return found;
}

/** The rows to export: a `rows`/`nodes` list if there is one, else the first list of objects; none: an empty table. */
export function findRows(data: unknown, explicitPath?: string): { path: string; rows: JsonObject[] } | undefined {
  if (!isObject(data)) return undefined;
  if (explicitPath !== undefined) {
    let v: unknown = data;
    for (const key of explicitPath.split('.')) v = isObject(v) ? v[key] : undefined;
    return isObjectList(v) ? { path: explicitPath, rows: v.filter(isObject) } : undefined;
  }
  const lists = listsIn(data);
  const chosen = lists.find((l) => ROW_LISTS.has(l.path[l.path.length - 1])) ?? lists[0];
  if (chosen) return { path: chosen.path.join('.'), rows: chosen.list.filter(isObject) };
  // Only empty lists: export the first one (a table with no rows still has a name).
  const empty = firstEmptyList(data);
  return empty ? { path: empty, rows: [] } : undefined;
}

function firstEmptyList(value: JsonObject, prefix = ''): string | undefined {
  for (const [key, v] of Object.entries(value)) {
    const path = prefix ? `${prefix}.${key}` : key;
    if (Array.isArray(v)) return path;
    if (isObject(v)) {
      const inner = firstEmptyList(v, path);
      if (inner) return inner;
    }
  }
  return undefined;
}

/**
 * One row as dotted columns: `dimensions.unit.code`, `level4.value`. Lists of measures
 * (`measures { measure value numerator denominator }`) are keyed by the measure, so each measure
 * becomes `LEVEL4_SHARE.value`, `.numerator`, `.denominator`; other lists of objects are numbered
 * (`trend.0.value`); lists of scalars stay one cell.
 */
export function flattenRow(row: JsonObject, prefix = '', into: Map<string, Cell> = new Map()): Map<string, Cell> {
  for (const [key, v] of Object.entries(row)) {
    const path = prefix ? `${prefix}.${key}` : key;
    if (isObject(v)) flattenRow(v, path, into);
    else if (Array.isArray(v) && v.length > 0 && v.every(isObject)) flattenList(v as JsonObject[], path, into);
    else into.set(path, v as Cell);
  }
  return into;
}

function flattenList(list: JsonObject[], path: string, into: Map<string, Cell>): void {
  const byMeasure = list.every((o) => typeof o.measure === 'string');
  list.forEach((o, i) => {
    if (byMeasure) {
      const { measure, ...rest } = o;
      flattenRow(rest, String(measure), into);
    } else {
      flattenRow(o, `${path}.${i}`, into);
    }
  });
}

/**
 * Rows to a table. Columns are every key any row has, in the order first seen; a column that is
 * also the prefix of others (an object null in some rows, `dimensions.unit`, present in others,
 * `dimensions.unit.code`) is dropped, its rows' cells left empty in the finer columns.
 */
export function toTable(found: { path: string; rows: JsonObject[] }): Table {
  const flat = found.rows.map((r) => flattenRow(r));
  const seen = new Set<string>();
  for (const f of flat) for (const k of f.keys()) seen.add(k);
  const all = [...seen];
  const prefixes = new Set<string>();
  for (const c of all) {
    for (let i = c.indexOf('.'); i >= 0; i = c.indexOf('.', i + 1)) prefixes.add(c.slice(0, i));
  }
  const columns = all.filter((c) => !prefixes.has(c));
  return { path: found.path, columns, rows: flat.map((f) => columns.map((c) => f.get(c) ?? null)) };
}
