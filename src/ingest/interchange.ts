import { parse as parseStream } from 'csv-parse';
import fs from 'node:fs';
import path from 'node:path';
import { Batch, FILING_COUNTS, Section, SECTIONS } from './batch';

export class InterchangeError extends Error {}

/** Columns that identify a CSV file's section when --section is not given. */
const SIGNATURE: [Section, string[]][] = [
  ['filings', ['unit', 'procedure', 'month', 'received']],
  ['services', ['unit', 'procedure', 'taxonomy', 'level', 'from']],
  ['publishedIndicators', ['unit', 'indicator', 'value', 'documentNumber']],
  ['publishedIndexScores', ['unit', 'period', 'component', 'points']],
  ['plans', ['unit', 'year']],
  ['procedures', ['code', 'name', 'sector', 'tier']],
  ['sectors', ['code', 'name']],
];

const INTEGER = new Set<string>([...FILING_COUNTS, 'year', 'rank']);
const BOOLEAN = new Set(['eligibleFullOnline', 'essential', 'integratedNational']);
/** Fractions (a published indicator's value) and points (a published 766 score's). */
const DECIMAL = new Set(['value', 'points']);

/** Converts CSV text cells to the JSON types of the interchange format; odd values pass through for the validator to name. */
function typed(column: string, cell: string): unknown {
  if (cell === '') return undefined;
  if (INTEGER.has(column) || DECIMAL.has(column)) return /^-?\d+(\.\d+)?$/.test(cell) ? Number(cell) : cell;
  if (BOOLEAN.has(column)) return /^(true|1)$/i.test(cell) ? true : /^(false|0)$/i.test(cell) ? false : cell;
  return cell;
}

export type BatchFormat = 'json' | 'csv';

const bytes = (n: number) => `${n.toLocaleString('en-US')} bytes`;

/**
 * Checks a batch file before a byte of it is read: a .json or .csv name, a regular file, and no
 * larger than `maxBytes` (MAX_INGEST_BYTES, derived from MAX_BATCH_ROWS): a 2 GB file is refused
 * from its size, not after reading it.
 */
export function checkBatchFile(file: string, maxBytes: number): BatchFormat {
  const ext = path.extname(file).toLowerCase();
  if (ext !== '.json' && ext !== '.csv') throw new InterchangeError(`${file}: expected a .json or .csv file`);
  let stat: fs.Stats;
  try {
    stat = fs.statSync(file);
  } catch (e) {
    throw new InterchangeError(`cannot read ${file}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message}`);
  }
  if (!stat.isFile()) throw new InterchangeError(`cannot read ${file}: not a regular file`);
  if (stat.size > maxBytes) {
    throw new InterchangeError(`${file} is ${bytes(stat.size)}, more than the ${bytes(maxBytes)} a batch file may take (MAX_INGEST_BYTES): split it`);
  }
  return ext === '.json' ? 'json' : 'csv';
}

/**
 * Reads a whole .json batch (checked by checkBatchFile first). Not streamed: a batch is one JSON
 * value that the validator needs whole (duplicates, the empty batch, unknown sections), and its
 * size is capped at MAX_INGEST_BYTES (64 MB by default), so parsing it in one go stays a bounded
 * few hundred MB; a streaming JSON parser would add a dependency to save memory only the cap
 * already bounds. Files too large for that are split, or sent as CSV, which is streamed.
 */
export function readJsonBatch(file: string): Batch {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    throw new InterchangeError(`cannot read ${file}: ${(e as Error).message}`);
  }
  try {
    return JSON.parse(text) as Batch;
  } catch (e) {
    throw new InterchangeError(`${file} is not valid JSON: ${(e as Error).message}`);
  }
}

/**
 * Streams a .csv file of one section in chunks of `chunkRows` typed rows, so memory holds one
 * chunk whatever the file's size. The section is `section`, else told by the header. Returns the
 * section and the number of rows read.
 */
export async function streamCsvBatch(
  file: string,
  section: Section | undefined,
  chunkRows: number,
  onChunk: (section: Section, rows: Record<string, unknown>[]) => Promise<void>,
): Promise<{ section: Section; rows: number }> {
  let header: string[] | undefined;
  const parser = fs.createReadStream(file).pipe(
    parseStream({
      bom: true, skip_empty_lines: true, trim: true, relax_column_count: false,
      columns: (names: string[]) => (header = names),
    }),
  );
  let chosen: Section | undefined;
  let chunk: Record<string, unknown>[] = [];
  let rows = 0;
  const sectionOf = (): Section => {
    const found = section ?? SIGNATURE.find(([, cols]) => cols.every((c) => header?.includes(c)))?.[0];
    if (!found) {
      throw new InterchangeError(`cannot tell which section this CSV holds from its header (${(header ?? []).join(', ')}); pass --section ${SECTIONS.join('|')}`);
    }
    return found;
  };
  try {
    for await (const record of parser as AsyncIterable<Record<string, string>>) {
      chosen ??= sectionOf();
      chunk.push(Object.fromEntries(Object.entries(record).map(([k, v]) => [k, typed(k, v)]).filter(([, v]) => v !== undefined)));
      rows += 1;
      if (chunk.length >= chunkRows) {
        await onChunk(chosen, chunk);
        chunk = [];
      }
    }
  } catch (e) {
    parser.destroy();
    if (e instanceof InterchangeError) throw e;
    if (isCsvError(e)) throw new InterchangeError(`${file} is not valid CSV: ${(e as Error).message}`);
    if ((e as NodeJS.ErrnoException).syscall) throw new InterchangeError(`cannot read ${file}: ${(e as Error).message}`);
    throw e; // from onChunk: the database's, for the caller

  }
  chosen ??= sectionOf();
  if (chunk.length > 0) await onChunk(chosen, chunk);
  return { section: chosen, rows };
}

/** csv-parse's own errors (bad quoting, a row of the wrong width) carry a CSV_ code; file system errors an errno code. */
function isCsvError(e: unknown): boolean {
  const code = (e as { code?: unknown }).code;
  return typeof code === 'string' && (code.startsWith('CSV_') || code.startsWith('INVALID_OPENING_QUOTE'));
}
