import { ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';
import { Database } from '../src/db/database';
import { createLogger } from '../src/server/logger';
import { applyRegistry, parseRegistry, resolveSources, ResolvedSource } from '../src/sources/source-registry.service';
import { SyncService } from '../src/sync/sync.service';

/**
 * The national dossier world the benches share: the simulator at national scale in a process of
 * its own (it is the upstream, not the gateway), its catalogue on the national portal and one
 * dossier feed per province (63 provinces, ~6.3M dossiers), synced through the gateway's own
 * sync. bench:sync times that sync; `npm run bench` fills its dossier database with it once
 * (bench/aggregates/dossier-shapes.ts).
 */
export async function startSimulatorProcess(): Promise<{ url: string; child: ChildProcess }> {
  const child = spawn(process.execPath, [path.join(__dirname, '../src/simulator/simulator.cli.js'), '--scale', 'national', '--port', '0'], { stdio: ['ignore', 'pipe', 'inherit'] });
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /"url":"([^"]+)"/.exec(out);
      if (m) resolve(m[1]);
    });
    child.on('exit', (code) => reject(new Error(`simulator exited with ${code}`)));
  });
  return { url, child };
}

/** The world's sources, registered in the database: the catalogue, and a feed per province (`provinces`; null: every one with a feed). */
export async function nationalFeeds(db: Database, simUrl: string, provinces: string[] | null, pageSize = 5000): Promise<{ sources: ResolvedSource[]; feeds: string[]; provinces: string[] }> {
  const agencies = (await (await fetch(`${simUrl}/dvcqg/api/v1/catalogue/agencies?pageSize=5000`, { headers: { authorization: 'Bearer sim-dvcqg-token' } })).json()) as {
    data: { items: { provinceCode: string | null }[] };
  };
  // Ministries have no province (null): provinces only, each with its feed at this scale.
  const all = [...new Set(agencies.data.items.map((a) => a.provinceCode).filter((c): c is string => c !== null))].sort();
  const chosen = provinces ?? all;
  const registry = parseRegistry({
    sources: [
      { code: 'catalogue', kind: 'dvcqg', name: 'catalogue', baseUrl: '${SIMULATOR_URL}/dvcqg/api/v1', credentials: { token: 'DVCQG_TOKEN' }, precedence: 300, units: ['*'], options: { parts: ['catalogue'] } },
      ...chosen.map((p) => ({
        code: `igate-${p}`, kind: 'dossier_feed', name: `feed ${p}`, baseUrl: `\${SIMULATOR_URL}/igate/${p}`,
        credentials: { clientId: 'IGATE_CLIENT_ID', clientSecret: 'IGATE_CLIENT_SECRET' }, precedence: 200, units: [p], options: { pageSize },
      })),
    ],
  });
  const sources = resolveSources(registry, { SIMULATOR_URL: simUrl }, {});
  await applyRegistry(db.sql, sources);
  return { sources, feeds: sources.filter((s) => s.kind === 'dossier_feed').map((s) => s.code), provinces: chosen };
}

/**
 * Fills `db` with the world (catalogue, then every feed, `concurrency` at a time, rollups refreshed
 * once at the end as a bulk sync does); returns the dossiers read.
 */
export async function syncDossierWorld(db: Database, simUrl: string, provinces: string[] | null, concurrency: number, progress: (line: string) => void): Promise<number> {
  const { sources, feeds } = await nationalFeeds(db, simUrl, provinces);
  const sync = new SyncService(db.sql, sources, createLogger('warn'), {}, { concurrency });
  const cat = await sync.sync('catalogue');
  if (cat.status !== 'succeeded') throw new Error(`catalogue: ${cat.error}`);
  let dossiers = 0;
  await Promise.all(feeds.map(async (code) => {
    const o = await sync.sync(code, { trigger: 'bench', deferRollups: true });
    if (o.status !== 'succeeded') throw new Error(`${code}: ${o.error}`);
    dossiers += o.rowsRead;
    progress(`${code}: ${o.rowsRead.toLocaleString('en')} dossiers in ${o.seconds.toFixed(1)} s; ${dossiers.toLocaleString('en')} so far`);
  }));
  return dossiers;
}
