import 'reflect-metadata';
import { SingleBar } from 'cli-progress';
import { Command } from 'commander';
import pino from 'pino';
import { refreshDeferredRollups } from '../ingest/rollup-refresh';
import { runCli } from '../common/cli';
import { loadConfig } from '../config/config';
import { SyncProgress } from '../connectors/connector';
import { openDatabase } from '../db/database';
import { loadReferenceData } from '../reference/reference-data.service';
import type { RunningSimulator } from '../simulator';
import { applyRegistry, defaultSourcesFile, needsSimulator, readRegistryFile, RegistryError, resolveSources, runningSimulatorUrl } from '../sources/source-registry.service';
import { HeapPolicy } from '../server/heap-policy';
import { SyncOutcome, SyncService } from './sync.service';

/** Progress on a terminal: one bar per source. */
function barReporter() {
  let bar: SingleBar | undefined;
  let current = '';
  return {
    progress(code: string, p: SyncProgress) {
      if (code !== current || !bar) {
        bar?.stop();
        current = code;
        bar = new SingleBar({ format: `{source} [{bar}] {percentage}% {value}/{total} {unit} · {phase}`, hideCursor: true, clearOnComplete: false });
        bar.start(p.total ?? 0, 0, { source: code.padEnd(12), unit: p.unit, phase: p.phase });
      }
      if (p.total !== undefined && p.total !== bar.getTotal()) bar.setTotal(p.total);
      if (p.total === undefined && p.done > bar.getTotal()) bar.setTotal(p.done);
      bar.update(p.done, { unit: p.unit, phase: p.phase });
    },
    done() {
      bar?.stop();
      bar = undefined;
      current = '';
    },
  };
}

/** Progress into a log or a pipe: a line when the phase changes, else at most every 2 seconds. */
function lineReporter() {
  let last = '';
  let at = 0;
  return {
    progress(code: string, p: SyncProgress) {
      const key = `${code} ${p.phase}`;
      if (key === last && Date.now() - at < 2000) return;
      last = key;
      at = Date.now();
      console.log(`${code}: ${p.phase} ${p.done}${p.total !== undefined ? `/${p.total}` : ''} ${p.unit}`);
    },
    done() {
      last = '';
    },
  };
}

/**
 * `npm run sync -- [SOURCE...] [--full]`: syncs the given sources (default: every source in the
 * registry, highest precedence first) into the gateway's database, with a progress bar on a
 * terminal. Exit codes: 0 every sync succeeded, 1 some did not (each says why), 2 usage error.
 */
async function main(argv: string[]): Promise<number> {
  const program = new Command('sync')
    .argument('[sources...]', 'source codes (default: all)')
    .option('--full', 'read the sources from their beginning instead of the saved cursor')
    .option('--list', 'list the registry and exit')
    .exitOverride();
  program.parse(argv, { from: 'user' });
  const opts = program.opts<{ full?: boolean; list?: boolean }>();
  const config = loadConfig();
  const log = pino({ level: process.env.LOG_LEVEL ?? 'warn', base: { service: 'dvc-gateway-sync' } }, pino.destination(2));
  const entries = readRegistryFile(config.sourcesFile ?? defaultSourcesFile());
  if (opts.list) {
    for (const e of entries) console.log(`${e.code.padEnd(14)} ${e.kind.padEnd(13)} precedence ${String(e.precedence).padEnd(4)} ${e.schedule ?? 'on demand'}  ${e.name}`);
    return 0;
  }
  const unknown = program.args.filter((c) => !entries.some((e) => e.code === c));
  if (unknown.length > 0) {
    console.error(`unknown source(s): ${unknown.join(', ')} (registry: ${entries.map((e) => e.code).join(', ')})`);
    return 2;
  }

  const db = await openDatabase(config);
  let simulator: RunningSimulator | undefined;
  const vars: Record<string, string> = {};
  const reporter = process.stdout.isTTY ? barReporter() : lineReporter();
  try {
    if (needsSimulator(entries) && !process.env.SIMULATOR_URL) {
      // The simulator of a gateway running on this database (npm start), else one of our own.
      const running = await runningSimulatorUrl(db.sql, entries);
      if (running) {
        vars.SIMULATOR_URL = running;
        console.log(`portal simulator of the running gateway at ${running}`);
      } else {
        // Loaded only here (as in sync.runtime.ts): a registry of real portals never needs it.
        const { startSimulator } = require('../simulator') as typeof import('../simulator');
        simulator = await startSimulator({ scale: 'small', port: 0 });
        vars.SIMULATOR_URL = simulator.url;
        console.log(`portal simulator (small scale) at ${simulator.url}; set SIMULATOR_URL to use another`);
      }
    }
    await loadReferenceData(db.sql);
    const sources = resolveSources(entries, vars);
    await applyRegistry(db.sql, sources);
    const service = new SyncService(db.sql, sources, log, process.env, { concurrency: config.syncConcurrency, years: config, heap: HeapPolicy.forProcess() });
    const codes = program.args.length > 0 ? program.args : service.ordered().map((s) => s.code);
    const outcomes: SyncOutcome[] = [];
    for (const code of codes) {
      const o = await service.sync(code, { full: opts.full, trigger: 'cli', onProgress: (c, p) => reporter.progress(c, p), deferRollups: codes.length > 1 });
      reporter.done();
      outcomes.push(o);
      const what = o.status === 'succeeded' ? `read ${o.rowsRead}, wrote ${o.rowsWritten}` : o.error;
      console.log(`${code}: ${o.status}${o.runId ? ` (run ${o.runId})` : ''} in ${o.seconds.toFixed(1)} s: ${what}`);
    }
    if (codes.length > 1 && outcomes.some((o) => o.status === 'succeeded')) {
      const r = await refreshDeferredRollups(db.sql);
      console.log(`aggregate rollups refreshed in ${(r!.ms / 1000).toFixed(1)} s`);
    }
    return outcomes.every((o) => o.status === 'succeeded') ? 0 : 1;
  } finally {
    reporter.done();
    await db.close();
    await simulator?.close();
  }
}

runCli('sync', main, (e) => (e instanceof RegistryError ? e.message : undefined));
