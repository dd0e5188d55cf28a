import 'reflect-metadata';
import { Command, Option } from 'commander';
import path from 'node:path';
import { databaseFailure, runCli } from '../common/cli';
import { GatewayConfig, loadConfig } from '../config/config';
import { Database, openDatabase } from '../db/database';
import { loadReferenceData } from '../reference/reference-data.service';
import { Batch, SECTIONS, Section } from './batch';
import { checkBatchFile, InterchangeError, readJsonBatch, streamCsvBatch } from './interchange';
import { IngestSession, SessionResult } from './ingest-session';
import { BatchRejected, IngestResult, IngestService } from './ingest.service';

/** CSV rows validated and staged at a time: memory holds one chunk, whatever the file's size. */
const CSV_CHUNK_ROWS = 5_000;

/** The source facts of a file are recorded under (created on first use, precedence 50). */
async function importSource(db: Database, code: string): Promise<number> {
  const [source] = await db.sql.query<{ id: number }>(
    `INSERT INTO source (code, name, kind, precedence) VALUES ($1, $2, 'import', 50)
     ON CONFLICT (code) DO UPDATE SET code = excluded.code RETURNING id`,
    [code, `File import (${code})`],
  );
  return source.id;
}

/** A .json batch: validated whole and written by the ingest core in one transaction. */
function importJson(db: Database, config: GatewayConfig, batch: Batch, sourceId: number, file: string): Promise<IngestResult> {
  return new IngestService(db.sql).ingest(batch, { sourceId, kind: 'import', maxRows: config.maxBatchRows, years: config, detail: { file } });
}

/**
 * A .csv file, streamed: each chunk is validated by the same batch rules and staged in the
 * session's transaction; everything is applied, or nothing, at the end.
 */
async function importCsv(db: Database, config: GatewayConfig, file: string, section: Section | undefined, sourceId: number): Promise<SessionResult> {
  const session = await IngestSession.open(db.sql, { sourceId, kind: 'import', detail: { file }, years: config, maxRows: config.maxBatchRows });
  try {
    const read = await streamCsvBatch(file, section, CSV_CHUNK_ROWS, async (s, rows) => {
      session.rowsRead += rows.length;
      await session.stage({ [s]: rows });
    });
    if (read.rows === 0) session.problem('batch', 'is empty: no rows in any section');
    return await session.commit();
  } catch (e) {
    // The run's error is public (IngestRun.error): it names the file, not its path on this machine.
    await session.fail(e instanceof InterchangeError ? new InterchangeError(e.message.split(file).join(path.basename(file))) : e);
    throw e;
  }
}

function report(result: IngestResult | SessionResult): void {
  const s = (name: string, c: { inserted: number; updated: number; corrected: number; outranked: number }) =>
    `${name}: ${c.inserted} new, ${c.updated} changed (${c.corrected} corrected, ${c.outranked} outranked)`;
  console.log(`run ${result.runId}: read ${result.rowsRead} rows, wrote ${result.rowsWritten}`);
  console.log(`  sectors: ${result.sectors}, procedures: ${result.procedures}`);
  console.log(`  ${s('services', result.services)}\n  ${s('filings', result.filings)}\n  ${s('plans', result.plans)}`);
  console.log(`  ${s('published indicators', result.publishedIndicators)}\n  ${s('published 766 scores', result.publishedIndexScores)}`);
}

/**
 * `npm run import -- FILE [--source CODE]`: validates and writes one batch file, all or nothing.
 * The file's name and size are checked before it is read, and a JSON batch is parsed before the
 * database is opened. Exit codes: 0 written, 1 rejected (each problem printed), 2 unreadable or
 * oversized file, database unavailable, or other error (one line, no stack: common/cli.ts).
 */
async function main(argv: string[]): Promise<number> {
  const program = new Command('import')
    .argument('<file>', 'a .json batch or a .csv file of one section')
    .option('--source <code>', 'source the facts are recorded under', 'import')
    .addOption(new Option('--section <section>', 'section a CSV file holds (default: told by its header)').choices([...SECTIONS]))
    .exitOverride();
  program.parse(argv, { from: 'user' });
  const [file] = program.args;
  const opts = program.opts<{ source: string; section?: Section }>();

  const config = loadConfig();
  const format = checkBatchFile(file, config.maxIngestBytes);
  const batch = format === 'json' ? readJsonBatch(file) : undefined;

  const db = await openDatabase(config);
  try {
    await loadReferenceData(db.sql);
    const sourceId = await importSource(db, opts.source);
    report(batch ? await importJson(db, config, batch, sourceId, file) : await importCsv(db, config, file, opts.section, sourceId));
    return 0;
  } catch (e) {
    if (e instanceof BatchRejected) {
      console.error(`${file}: ${e.message}; nothing was written.`);
      for (const p of e.problems) console.error(`  ${p.field}: ${p.reason}`);
      if (e.total > e.problems.length) console.error(`  ... and ${e.total - e.problems.length} more`);
      return 1;
    }
    throw e;
  } finally {
    await db.close();
  }
}

runCli('import', main, (e) => (e instanceof InterchangeError ? e.message : databaseFailure(e)));
