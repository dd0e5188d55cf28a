import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { connect, Database } from '../src/db/database';
import { startEmbeddedPostgres } from '../src/db/embedded-postgres';
import { loadReferenceData } from '../src/reference/reference-data.service';

/** A throwaway database for a benchmark: DATABASE_URL if set, else an embedded cluster in a temp folder. */
export async function benchDatabase(poolSize = 4): Promise<{ db: Database; cleanup: () => Promise<void> }> {
  if (process.env.DATABASE_URL) {
    const db = await connect(process.env.DATABASE_URL, poolSize);
    await loadReferenceData(db.sql);
    return { db, cleanup: () => db.close() };
  }
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dvc-bench-'));
  fs.chmodSync(dir, 0o777);
  const pg = await startEmbeddedPostgres({ dataDir: path.join(dir, 'pg'), port: 54000 + Math.floor(Math.random() * 1000), database: 'bench' });
  const db = await connect(pg.url, poolSize, pg);
  await loadReferenceData(db.sql);
  return {
    db,
    cleanup: async () => {
      await db.close();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
