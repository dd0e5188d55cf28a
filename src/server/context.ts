import { EntityManager } from '@mikro-orm/postgresql';
import { Caller } from '../auth/api-key.service';
import { GatewayConfig } from '../config/config';
import { Sql } from '../db/sql';
import { Loaders } from './loaders';

/** Built once per request by createContext (server/app.ts). */
export interface GatewayContext {
  em: EntityManager;
  sql: Sql;
  loaders: Loaders;
  /** The integrator behind the API key, if one was presented and is valid. */
  caller?: Caller;
  config: GatewayConfig;
}
