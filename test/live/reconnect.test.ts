import fs from 'node:fs';
import path from 'node:path';
import { Client } from 'graphql-ws';
import { Client as PgClient } from 'pg';
import { waitFor } from '../resilience/gateway-process';
import { LISTENER_APPLICATION_NAME } from '../../src/db/notification-listener';
import { createTestDatabase } from '../support/harness';
import { createKey, listen, LiveGateway, startLiveGateway, subscribed, wsClient } from './live-harness';

/**
 * The LISTEN connection lost (its backend terminated, as a database restart or a network cut
 * would): gateway A tells its database health, listens again once the health's recovery loop
 * finds the database up, and, as a commit went unheard meanwhile, gives each subscription one
 * event with `missed` set. Subscriptions stay open throughout; later commits are heard as before.
 */
const INGEST = `mutation Ingest($batch: IngestBatchInput!) { ingest(batch: $batch) { rowsWritten } }`;
const FIGURES = `subscription { figuresChanged(filter: { provinceCodes: ["01"] }, kinds: [FILING_STAT]) { commits missed changes { kind units { code } months } } }`;
const example = JSON.parse(fs.readFileSync(path.join(__dirname, '../../examples/batch.json'), 'utf8'));

let A: LiveGateway;
let B: LiveGateway;
let key: string;
let client: Client;

beforeAll(async () => {
  const db = await createTestDatabase();
  await db.close();
  // A's recovery waits 2 s before its first probe: the commit below lands while A is not listening.
  A = await startLiveGateway(db.url, { dbRetryMinMs: 2000, dbRetryMaxMs: 4000 });
  B = await startLiveGateway(db.url);
  key = await createKey(B.db, { name: 'ha-noi', unitCodes: ['01'], catalogue: true });
  expect((await B.gql(INGEST, { batch: { sectors: example.sectors, procedures: example.procedures } }, key)).errors).toBeUndefined();
  client = wsClient(A.wsUrl);
});

afterAll(async () => {
  await client?.dispose();
  await A?.stop();
  await B?.stop();
});

const push = async (month: string) => {
  const res = await B.gql(INGEST, { batch: { filings: [{ unit: '01', procedure: '1.001193', month, received: 9, receivedOnline: 3 }] } }, key);
  expect(res.data.ingest.rowsWritten).toBe(1);
};

it('listens again after losing its connection, and says that commits may have been missed', async () => {
  const hn = listen(client, FIGURES);
  await subscribed(A, 1);
  await push('2021-01');
  await hn.count(1);

  // Two gateways on this database, one LISTEN connection each: A's carries both the data version
  // and its subscriptions' channel (B never had a subscription: only the data version's).
  const listeners = await B.db.sql.query<{ pid: number }>(`SELECT pid FROM pg_stat_activity WHERE application_name = $1 AND datname = current_database() ORDER BY pid`, [LISTENER_APPLICATION_NAME]);
  expect(listeners.map((l) => l.pid)).toEqual([A.services.notifications!.backendPid, B.services.notifications!.backendPid].sort((x, y) => x! - y!));
  expect(A.services.notifications!.channels.sort()).toEqual(['dvc_data_version', 'dvc_live']);
  expect(B.services.notifications!.channels).toEqual(['dvc_data_version']);
  const pid = A.services.notifications!.backendPid;
  // The database takes no new connection for a while (an outage, as A sees it), and the listener's backend ends.
  const held = await B.db.sql.pool.connect();
  const admin = new PgClient({ connectionString: A.db.url.replace(/\/[^/]+$/, '/postgres') });
  await admin.connect();
  const [{ name }] = (await held.query<{ name: string }>('SELECT current_database() AS name')).rows;
  try {
    await admin.query(`ALTER DATABASE ${name} ALLOW_CONNECTIONS false`);
    await held.query('SELECT pg_terminate_backend($1)', [pid]);
    await waitFor('A to notice', () => !A.db.health.up, 10_000, 10);
    // A commit nobody can hear: a corrected figure, on a connection opened before.
    await held.query(`UPDATE filing_stat f SET received = received + 1 FROM unit u WHERE u.id = f.unit_id AND u.code = '01' AND f.month = '2021-01-01'`);
  } finally {
    await admin.query(`ALTER DATABASE ${name} ALLOW_CONNECTIONS true`);
    await admin.end();
    held.release();
  }

  const events = await hn.count(2, 30_000);
  expect(events[1].figuresChanged).toEqual({ commits: 1, missed: true, changes: [{ kind: 'FILING_STAT', units: null, months: null }] });
  expect(A.services.live!.stats.reconnections).toBe(1);
  // One loss, one reconnection, for both channels: the data version is kept in memory again.
  expect(A.services.notifications!.stats).toEqual({ connections: 2, losses: 1 });
  expect(A.services.dataVersion!.listening).toBe(true);

  await push('2021-03');
  const after = await hn.count(3);
  expect(after[2].figuresChanged).toEqual({ commits: 1, missed: false, changes: [{ kind: 'FILING_STAT', units: [{ code: '01' }], months: ['2021-03'] }] });
  expect(hn.events).toHaveLength(3);
  expect(hn.errors).toEqual([]);
});
