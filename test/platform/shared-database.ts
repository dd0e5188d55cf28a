import crypto from 'node:crypto';
import { Client } from 'pg';

/**
 * Databases for several gateway processes at once, on the test run's embedded PostgreSQL (the
 * harness's, started by test/support/global-setup.ts): the processes are children, so they get a
 * URL, not a connection.
 */
function serverUrl(): string {
  const url = process.env.DVC_TEST_TEMPLATE_URL;
  if (!url) throw new Error('DVC_TEST_TEMPLATE_URL is not set: run the tests through jest (globalSetup)');
  return url;
}

/** A new database: a clone of the migrated template with the reference data, or empty (no table at all). */
export async function createDatabase(kind: 'template' | 'empty'): Promise<string> {
  const name = `p_${crypto.randomBytes(6).toString('hex')}`;
  const admin = new Client({ connectionString: serverUrl().replace(/\/[^/]+$/, '/postgres') });
  await admin.connect();
  try {
    await admin.query(kind === 'template' ? `CREATE DATABASE ${name} TEMPLATE dvc_template` : `CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  return serverUrl().replace(/\/[^/]+$/, `/${name}`);
}

/** A client of one of those databases, beside the processes. */
export async function clientOf(url: string): Promise<Client> {
  const client = new Client({ connectionString: url });
  client.on('error', () => undefined);
  await client.connect();
  return client;
}
