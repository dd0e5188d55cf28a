import 'reflect-metadata';
import { Command, Option } from 'commander';
import { runCli } from '../common/cli';
import { loadConfig } from '../config/config';
import { openDatabase } from '../db/database';
import { loadReferenceData } from '../reference/reference-data.service';
import { SECTIONS, Section } from './batch';
import { InterchangeError, readBatchFile } from './interchange';
import { BatchRejected, IngestService } from './ingest.service';

/**
 * `npm run import -- FILE [--source CODE]`: validates and writes one batch file, all or nothing.
 * Exit codes: 0 written, 1 rejected (each problem printed), 2 unreadable file or other error.
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
  const batch = readBatchFile(file, opts.section);

  const config = loadConfig();
  const db = await openDatabase(config);
  try {
    await loadReferenceData(db.sql);
    const [source] = await db.sql.query<{ id: number }>(
      `INSERT INTO source (code, name, kind, precedence) VALUES ($1, $2, 'import', 50)
       ON CONFLICT (code) DO UPDATE SET code = excluded.code RETURNING id`,
      [opts.source, `File import (${opts.source})`],
    );
    const result = await new IngestService(db.sql).ingest(batch, { sourceId: source.id, kind: 'import', maxRows: config.maxBatchRows, detail: { file } });
    const s = (name: string, c: { inserted: number; updated: number; corrected: number; outranked: number }) =>
      `${name}: ${c.inserted} new, ${c.updated} changed (${c.corrected} corrected, ${c.outranked} outranked)`;
    console.log(`run ${result.runId}: read ${result.rowsRead} rows, wrote ${result.rowsWritten}`);
    console.log(`  sectors: ${result.sectors}, procedures: ${result.procedures}`);
    console.log(`  ${s('services', result.services)}\n  ${s('filings', result.filings)}\n  ${s('plans', result.plans)}`);
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

runCli('import', main, (e) => (e instanceof InterchangeError ? e.message : undefined));
