import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ConfigError, loadConfig } from '../../src/config/config';
import { Database } from '../../src/db/database';
import { createLogger } from '../../src/server/logger';
import { ServiceRegistry } from '../../src/server/service.registry';
import { Federation, requestSync, startFederation } from '../../src/sync/sync.runtime';
import { createTestDatabase } from '../support/harness';
import { entry } from './helpers';

// Two scheduled sources and one on demand only, at addresses nothing listens on (no simulator needed:
// nothing is synced at start, and the on-demand run below only has to go through the queue).
const SPECS = [
  { code: 'national', kind: 'dvcqg' as never, baseUrl: 'http://127.0.0.1:9/dvcqg/api/v1', schedule: '15 2 * * *' },
  { code: 'igate-95', kind: 'dossier_feed' as never, baseUrl: 'http://127.0.0.1:9/igate/95', units: ['95'], schedule: '*/30 * * * *' },
  { code: 'igate-96', kind: 'dossier_feed' as never, baseUrl: 'http://127.0.0.1:9/igate/96', units: ['96'] },
];

describe('SYNC_SCHEDULES', () => {
  let db: Database;
  let sourcesFile: string;
  const running: Federation[] = [];

  beforeAll(async () => {
    db = await createTestDatabase();
    sourcesFile = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'dvc-registry-')), 'sources.json');
    fs.writeFileSync(sourcesFile, JSON.stringify({ sources: SPECS.map((s) => entry({ ...s, options: { retries: 0 } })) }));
  });
  afterAll(async () => {
    for (const f of running) await f.stop();
    await db?.close();
  });

  /** Starts the federation as main.ts does (job queue on), with SYNC_SCHEDULES as given, and stops it. */
  async function start(syncSchedules: string) {
    const config = loadConfig({ SYNC_SCHEDULES: syncSchedules, SYNC_ON_START: 'false' }, { databaseUrl: db.url, logLevel: 'silent', sourcesFile });
    const services = new ServiceRegistry();
    const federation = await startFederation({ config, db, logger: createLogger('silent'), env: {}, services });
    running.push(federation);
    return { federation, services };
  }
  async function stop(federation: Federation) {
    running.splice(running.indexOf(federation), 1);
    await federation.stop();
  }
  const registered = async () =>
    (await db.sql.query<{ name: string; cron: string }>('SELECT name, cron FROM pgboss.schedule ORDER BY name')).map((r) => `${r.name} ${r.cron}`);

  it('is read like the other switches, and a bad value is listed with every other mistake', () => {
    expect(loadConfig({}).syncSchedules).toBe(true);
    expect(loadConfig({ SYNC_SCHEDULES: 'off' }).syncSchedules).toBe(false);
    expect(loadConfig({ SYNC_SCHEDULES: 'false' }).syncSchedules).toBe(false);
    expect(() => loadConfig({ SYNC_SCHEDULES: 'sometimes', PORT: 'eighty', DATABASE_URL: 'mysql://x' })).toThrow(ConfigError);
    try {
      loadConfig({ SYNC_SCHEDULES: 'sometimes', PORT: 'eighty', DATABASE_URL: 'mysql://x' });
    } catch (e) {
      expect((e as Error).message.split('\n')).toEqual([
        'Invalid configuration:',
        '  - PORT must be an integer, got "eighty"',
        '  - SYNC_SCHEDULES must be true or false, got "sometimes"',
        '  - databaseUrl: DATABASE_URL must be a postgres:// URL',
      ]);
    }
  });

  it('off: pg-boss holds no schedule, yet an on-demand sync still goes through the queue', async () => {
    const { federation, services } = await start('off');
    expect(await registered()).toEqual([]);
    expect(federation.scheduler?.running).toBe(true);
    const result = await requestSync(services.sync!, 'igate-96', { wait: true, full: false, waitMs: 30_000 });
    expect(result.jobId).toMatch(/^[0-9a-f-]{36}$/);
    // Nothing listens at the source's address: the run fails cleanly, having gone through pg-boss.
    expect(result.status).toBe('failed');
    await stop(federation);
  });

  it('on: every scheduled source of the registry is registered; off again removes them', async () => {
    const on = await start('on');
    expect(await registered()).toEqual(['sync__igate-95 */30 * * * *', 'sync__national 15 2 * * *']);
    await stop(on.federation);
    const off = await start('off');
    expect(await registered()).toEqual([]);
    await stop(off.federation);
  });
});
