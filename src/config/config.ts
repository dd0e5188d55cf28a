import 'reflect-metadata';
import path from 'node:path';
import { IsBoolean, IsIn, IsInt, IsOptional, IsString, Matches, Max, Min, validateSync } from 'class-validator';
import { projectRoot } from './project-root';

/**
 * Every setting the gateway reads from its environment, validated once at start-up so that a typo
 * fails fast with a clear message instead of surfacing later as a strange runtime error.
 */
export class GatewayConfig {
  @IsString()
  @Matches(/^[0-9a-fA-F:.]+$|^localhost$/, { message: 'HOST must be an IP address or localhost' })
  host = '127.0.0.1';

  @IsInt() @Min(0) @Max(65535)
  port = 4000;

  /** When unset, the gateway runs its own embedded PostgreSQL in `dataDir`. */
  @IsOptional() @IsString() @Matches(/^postgres(ql)?:\/\//, { message: 'DATABASE_URL must be a postgres:// URL' })
  databaseUrl?: string;

  @IsString()
  dataDir = path.join(projectRoot(), '.data', 'postgres');

  @IsInt() @Min(1024) @Max(65535)
  embeddedPort = 54329;

  @IsIn(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])
  logLevel = 'info';

  /** Largest ingest batch accepted, in rows across all sections. */
  @IsInt() @Min(1) @Max(5_000_000)
  maxBatchRows = 200_000;

  /** Statement timeout for read queries (aggregates), in milliseconds. */
  @IsInt() @Min(100) @Max(600_000)
  statementTimeoutMs = 15_000;

  @IsInt() @Min(1) @Max(100)
  poolSize = 10;

  /**
   * Source syncs run at once in this process (scheduled, requested or at start); more wait their
   * turn. Each holds a connection for its transaction and borrows another now and then, so at
   * least one must stay free (checked below); the default leaves two, for queries. Four keep two
   * cores busy at national scale (bench:sync).
   */
  @IsInt() @Min(1) @Max(32)
  syncConcurrency = 4;

  /** Sync every configured source before serving (the demo start). */
  @IsBoolean()
  syncOnStart = true;

  @IsOptional() @IsString()
  sourcesFile?: string;
}

export class ConfigError extends Error {}

function int(name: string, raw: string | undefined, fallback: number): number {
  if (raw === undefined || raw === '') return fallback;
  if (!/^-?\d+$/.test(raw)) throw new ConfigError(`${name} must be an integer, got "${raw}"`);
  return Number(raw);
}

function bool(name: string, raw: string | undefined, fallback: boolean): boolean {
  if (raw === undefined || raw === '') return fallback;
  if (/^(1|true|yes|on)$/i.test(raw)) return true;
  if (/^(0|false|no|off)$/i.test(raw)) return false;
  throw new ConfigError(`${name} must be true or false, got "${raw}"`);
}

/** Reads and validates the configuration; throws ConfigError listing every invalid setting. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env, overrides: Partial<GatewayConfig> = {}): GatewayConfig {
  const c = new GatewayConfig();
  c.host = env.HOST || c.host;
  c.port = int('PORT', env.PORT, c.port);
  c.databaseUrl = env.DATABASE_URL || undefined;
  c.dataDir = env.DATA_DIR ? path.resolve(env.DATA_DIR) : c.dataDir;
  c.embeddedPort = int('EMBEDDED_PG_PORT', env.EMBEDDED_PG_PORT, c.embeddedPort);
  c.logLevel = env.LOG_LEVEL || c.logLevel;
  c.maxBatchRows = int('MAX_BATCH_ROWS', env.MAX_BATCH_ROWS, c.maxBatchRows);
  c.statementTimeoutMs = int('STATEMENT_TIMEOUT_MS', env.STATEMENT_TIMEOUT_MS, c.statementTimeoutMs);
  c.poolSize = int('DB_POOL_SIZE', env.DB_POOL_SIZE, c.poolSize);
  c.syncConcurrency = int('SYNC_CONCURRENCY', env.SYNC_CONCURRENCY, Math.max(1, Math.min(c.syncConcurrency, c.poolSize - 2)));
  c.syncOnStart = bool('SYNC_ON_START', env.SYNC_ON_START, c.syncOnStart);
  c.sourcesFile = env.SOURCES_FILE || undefined;
  Object.assign(c, overrides);
  const errors = validateSync(c);
  const lines = errors.flatMap((e) => Object.values(e.constraints ?? {}).map((m) => `  - ${e.property}: ${m}`));
  if (errors.length === 0 && c.syncConcurrency >= c.poolSize) {
    lines.push(`  - syncConcurrency: must be below poolSize (each sync borrows a second connection), got ${c.syncConcurrency} with poolSize ${c.poolSize}`);
  }
  if (lines.length > 0) {
    throw new ConfigError(`Invalid configuration:\n${lines.join('\n')}`);
  }
  return c;
}
