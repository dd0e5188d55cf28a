import 'reflect-metadata';
import { Command } from 'commander';
import { runCli } from '../common/cli';
import { loadConfig } from '../config/config';
import { openDatabase } from '../db/database';
import { loadReferenceData } from '../reference/reference-data.service';
import { ApiKeyService, InvalidKeyError } from './api-key.service';

/**
 * `npm run api-key -- create NAME --units 79,80 [--catalogue]` prints a new key once;
 * `list` shows keys (never secrets); `revoke NAME` disables one.
 */
async function main(argv: string[]): Promise<number> {
  const program = new Command('api-key').exitOverride();
  let action: (keys: ApiKeyService) => Promise<number> = async () => 0;
  program
    .command('create <name>')
    .requiredOption('--units <codes>', 'comma-separated unit codes the key may write (with all units below them); * for the nation')
    .option('--catalogue', 'may also write the procedure catalogue (sectors, procedures)', false)
    .option('--source <code>', 'source its pushes are recorded under (default push:<name>)')
    .action((name: string, o: { units: string; catalogue: boolean; source?: string }) => {
      action = async (keys) => {
        const unitCodes = o.units.split(',').map((c) => c.trim()).filter(Boolean);
        const { key } = await keys.create({ name, unitCodes, catalogue: o.catalogue, sourceCode: o.source });
        console.log(key);
        console.error(`Key "${name}" created for ${unitCodes.join(', ')}. It is shown once: store it now.`);
        return 0;
      };
    });
  program.command('list').action(() => {
    action = async (keys) => {
      for (const k of await keys.list()) {
        console.log(`${k.name}\tdvc_${k.prefix}_…\t${k.unit_codes.join(',')}${k.catalogue ? '\tcatalogue' : ''}\t${k.revoked_at ? 'revoked' : 'active'}`);
      }
      return 0;
    };
  });
  program.command('revoke <name>').action((name: string) => {
    action = async (keys) => {
      const done = await keys.revoke(name);
      console.error(done ? `Key "${name}" revoked.` : `No active key named "${name}".`);
      return done ? 0 : 1;
    };
  });
  program.parse(argv, { from: 'user' });

  const db = await openDatabase(loadConfig());
  try {
    await loadReferenceData(db.sql);
    return await action(new ApiKeyService(db.sql));
  } catch (e) {
    if (e instanceof InvalidKeyError) {
      console.error(`api-key: ${e.message}`);
      return 1;
    }
    throw e;
  } finally {
    await db.close();
  }
}

runCli('api-key', main);
