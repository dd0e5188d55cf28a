import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client } from 'pg';
import { connect } from '../../src/db/database';
import { startEmbeddedPostgres } from '../../src/db/embedded-postgres';
import { loadReferenceData } from '../../src/reference/reference-data.service';
import { freePort } from '../../src/common/free-port';


/**
 * Starts one throwaway PostgreSQL for the whole run (outside jest's sandbox, since
 * embedded-postgres is ESM-only), migrates a template database and loads the reference data
 * into it once; each test file then clones the template (CREATE DATABASE ... TEMPLATE).
 */
export default async function globalSetup(): Promise<void> {
  {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dvc-gateway-test-'));
    fs.chmodSync(dir, 0o777);
    const pg = await startEmbeddedPostgres({
      dataDir: path.join(dir, 'pg'),
      port: await freePort(),
      database: 'dvc_template',
      // A throwaway cluster: durability buys nothing here.
      settings: { fsync: 'off', synchronous_commit: 'off', full_page_writes: 'off' },
    });
    (globalThis as Record<string, unknown>).__DVC_PG__ = { stop: pg.stop, dir };
    var serverUrl = pg.url;
  }
  const db = await connect(serverUrl, 2);
  await loadReferenceData(db.sql);
  await db.close();
  // MikroORM keeps entity metadata on globalThis; left here, it leaks into the test sandboxes
  // (mikro-orm/mikro-orm#3783), whose Map is another realm's.
  delete (globalThis as Record<string, unknown>)['mikro-orm-metadata'];
  // Connections to the template must be gone before it can be cloned.
  const admin = new Client({ connectionString: serverUrl.replace(/\/[^/]+$/, '/postgres') });
  await admin.connect();
  await admin.query(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = 'dvc_template' AND pid <> pg_backend_pid()`);
  await admin.end();
  process.env.DVC_TEST_TEMPLATE_URL = serverUrl;
}
