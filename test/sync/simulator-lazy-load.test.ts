import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfig } from '../../src/config/config';
import { Database } from '../../src/db/database';
import { createLogger } from '../../src/server/logger';
import { ServiceRegistry } from '../../src/server/service.registry';
import { startFederation } from '../../src/sync/sync.runtime';
import { createTestDatabase } from '../support/harness';

// This file must not import the simulator (nor test/sync/helpers, which does): jest gives each test
// file its own module registry, exposed as require.cache, so what is in it is what startFederation loaded.
const SIMULATOR_DIR = `${path.sep}src${path.sep}simulator${path.sep}`;
const simulatorModules = () => Object.keys(require.cache).filter((file) => file.includes(SIMULATOR_DIR));

function registryFile(baseUrl: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dvc-registry-'));
  const file = path.join(dir, 'sources.json');
  const source = { code: 'national', kind: 'dvcqg', name: 'national portal', baseUrl, credentials: { token: 'DVCQG_TOKEN' }, schedule: null, precedence: 300, units: ['*'] };
  fs.writeFileSync(file, JSON.stringify({ sources: [source] }));
  return file;
}

async function federate(db: Database, sourcesFile: string) {
  const config = loadConfig({}, { databaseUrl: db.url, logLevel: 'silent', sourcesFile, syncOnStart: false });
  const services = new ServiceRegistry();
  const federation = await startFederation({ config, db, logger: createLogger('silent'), env: {}, services, queue: false });
  return { federation, services };
}

describe('the portal simulator is loaded only when the registry points at it', () => {
  let db: Database;
  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(async () => {
    await db?.close();
  });

  it('a registry of real portals starts the federation without loading any simulator module', async () => {
    expect(simulatorModules()).toEqual([]);
    const { federation, services } = await federate(db, registryFile('https://dichvucong.gov.vn/api/v1'));
    try {
      expect(services.sync?.sync.has('national')).toBe(true);
      expect(federation.simulatorUrl).toBeUndefined();
      expect(simulatorModules()).toEqual([]);
    } finally {
      await federation.stop();
    }
    expect(services.sync).toBeUndefined();
  });

  it('a registry naming ${SIMULATOR_URL} (unset) loads and starts it: the check above can see it', async () => {
    const { federation } = await federate(db, registryFile('${SIMULATOR_URL}/dvcqg/api/v1'));
    try {
      expect(federation.simulatorUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      expect(simulatorModules()).toEqual(expect.arrayContaining([expect.stringContaining(`${SIMULATOR_DIR}index.ts`)]));
    } finally {
      await federation.stop();
    }
  });
});
