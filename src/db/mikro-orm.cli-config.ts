import path from 'node:path';
import { projectRoot } from '../config/project-root';
import { ormConfig } from './mikro-orm.config';

/**
 * Configuration for the MikroORM CLI, run through `npm run migration:create` (migration.cli.ts
 * provides DATABASE_URL); new migrations are written as TypeScript into migrations/.
 */
const url = process.env.DATABASE_URL;
if (!url) throw new Error('DATABASE_URL is not set: run the MikroORM CLI through `npm run mikro-orm -- ...`');
const base = ormConfig(url);
export default { ...base, migrations: { ...base.migrations, path: path.join(projectRoot(), 'migrations') } };
