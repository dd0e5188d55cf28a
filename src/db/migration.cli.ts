import { spawnSync } from 'node:child_process';
import { loadConfig } from '../config/config';
import { startEmbeddedPostgres } from './embedded-postgres';

/**
 * Runs the MikroORM CLI (`npm run mikro-orm -- migration:create`) against DATABASE_URL, or against
 * the embedded PostgreSQL, which it starts first and stops afterwards.
 */
async function main(): Promise<number> {
  const config = loadConfig();
  const embedded = config.databaseUrl
    ? undefined
    : await startEmbeddedPostgres({ dataDir: config.dataDir, port: config.embeddedPort, database: 'dvc_gateway' });
  try {
    const res = spawnSync('npx', ['mikro-orm', ...process.argv.slice(2)], {
      stdio: 'inherit',
      env: { ...process.env, DATABASE_URL: config.databaseUrl ?? embedded!.url },
    });
    return res.status ?? 1;
  } finally {
    await embedded?.stop();
  }
}

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    console.error(e instanceof Error ? e.message : e);
    process.exit(1);
  },
);
