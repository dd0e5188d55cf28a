import { MikroORM } from '@mikro-orm/postgresql';
import { Pool } from 'pg';
import { GatewayConfig } from '../config/config';
import { EmbeddedHandle, startEmbeddedPostgres } from './embedded-postgres';
import { ormConfig } from './mikro-orm.config';
import { Sql } from './sql';

export interface Database {
  url: string;
  orm: MikroORM;
  sql: Sql;
  /** Closes the pools, then stops the embedded server if this process started one. */
  close(): Promise<void>;
}

/** Connects to DATABASE_URL, or starts the embedded PostgreSQL, and applies pending migrations. */
export async function openDatabase(config: GatewayConfig, log: (msg: string) => void = () => undefined): Promise<Database> {
  let embedded: EmbeddedHandle | undefined;
  let url = config.databaseUrl;
  if (!url) {
    embedded = await startEmbeddedPostgres({ dataDir: config.dataDir, port: config.embeddedPort, database: 'dvc_gateway' });
    url = embedded.url;
    log(`embedded PostgreSQL on 127.0.0.1:${config.embeddedPort}, data in ${config.dataDir}`);
  }
  try {
    return await connect(url, config.poolSize, embedded);
  } catch (e) {
    await embedded?.stop();
    throw e;
  }
}

export async function connect(url: string, poolSize = 10, embedded?: EmbeddedHandle): Promise<Database> {
  const orm = await MikroORM.init(ormConfig(url, poolSize));
  const pool = new Pool({ connectionString: url, max: poolSize });
  // An idle client's error (server restart) must not crash the process.
  pool.on('error', () => undefined);
  try {
    await orm.getMigrator().up();
  } catch (e) {
    await orm.close(true);
    await pool.end();
    throw e;
  }
  return {
    url,
    orm,
    sql: new Sql(pool),
    async close() {
      await orm.close(true);
      await pool.end();
      await embedded?.stop();
    },
  };
}
