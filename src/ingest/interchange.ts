import { parse } from 'csv-parse/sync';
import fs from 'node:fs';
import path from 'node:path';
import { Batch, FILING_COUNTS, Section, SECTIONS } from './batch';

export class InterchangeError extends Error {}

/** Columns that identify a CSV file's section when --section is not given. */
const SIGNATURE: [Section, string[]][] = [
  ['filings', ['unit', 'procedure', 'month', 'received']],
  ['services', ['unit', 'procedure', 'taxonomy', 'level', 'from']],
  ['plans', ['unit', 'year']],
  ['procedures', ['code', 'name', 'sector', 'tier']],
  ['sectors', ['code', 'name']],
];

const INTEGER = new Set<string>([...FILING_COUNTS, 'year']);
const BOOLEAN = new Set(['eligibleFullOnline', 'essential', 'integratedNational']);

/** Converts CSV text cells to the JSON types of the interchange format; odd values pass through for the validator to name. */
function typed(column: string, cell: string): unknown {
  if (cell === '') return undefined;
  if (INTEGER.has(column)) return /^-?\d+(\.\d+)?$/.test(cell) ? Number(cell) : cell;
  if (BOOLEAN.has(column)) return /^(true|1)$/i.test(cell) ? true : /^(false|0)$/i.test(cell) ? false : cell;
  return cell;
}

export function parseCsv(text: string, section?: Section): Batch {
  const records = parse(text, { columns: true, bom: true, skip_empty_lines: true, trim: true, relax_column_count: false }) as Record<string, string>[];
  const header = records.length > 0 ? Object.keys(records[0]) : (parse(text, { bom: true, to_line: 1 }) as string[][])[0] ?? [];
  const chosen = section ?? SIGNATURE.find(([, cols]) => cols.every((c) => header.includes(c)))?.[0];
  if (!chosen) {
    throw new InterchangeError(`cannot tell which section this CSV holds from its header (${header.join(', ')}); pass --section ${SECTIONS.join('|')}`);
  }
  const rows = records.map((r) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, typed(k, v)]).filter(([, v]) => v !== undefined)));
  return { [chosen]: rows } as Batch;
}

/** Reads a batch from a .json file (the whole batch) or a .csv file (one section). */
export function readBatchFile(file: string, section?: Section): Batch {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    throw new InterchangeError(`cannot read ${file}: ${(e as Error).message}`);
  }
  const ext = path.extname(file).toLowerCase();
  if (ext === '.json') {
    try {
      return JSON.parse(text) as Batch;
    } catch (e) {
      throw new InterchangeError(`${file} is not valid JSON: ${(e as Error).message}`);
    }
  }
  if (ext === '.csv') {
    try {
      return parseCsv(text, section);
    } catch (e) {
      if (e instanceof InterchangeError) throw e;
      throw new InterchangeError(`${file} is not valid CSV: ${(e as Error).message}`);
    }
  }
  throw new InterchangeError(`${file}: expected a .json or .csv file`);
}
