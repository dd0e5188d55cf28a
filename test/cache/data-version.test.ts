import { Client } from 'pg';
import { DataVersion, UNWATCHED_TABLES } from '../../src/cache/data-version';
import { Database } from '../../src/db/database';
import { LISTENER_APPLICATION_NAME, NotificationListener } from '../../src/db/notification-listener';
import { closeAbandonedRuns } from '../../src/provenance/abandoned-run.service';
import { createLogger } from '../../src/server/logger';
import { createTestDatabase } from '../support/harness';

/**
 * The data version in PostgreSQL (issue 11, item 3): triggers bump it at the commit of every
 * transaction that writes a watched table, never for a rollback, without making concurrent
 * writers wait on each other.
 */
let db: Database;
let version: DataVersion;
beforeAll(async () => {
  db = await createTestDatabase();
  version = new DataVersion(db.sql);
});
afterAll(() => db?.close());

/** Polls `ok` every 20 ms, for at most 5 s. */
async function until(ok: () => boolean): Promise<void> {
  for (let i = 0; i < 250 && !ok(); i++) await new Promise((r) => setTimeout(r, 20));
  expect(ok()).toBe(true);
}

const now = async () => BigInt((await version.readNow()).version);

/** The process's listener, as startApp makes it (short waits: the tests below reconnect). */
const listenerOf = () => new NotificationListener({ url: db.url, health: db.health, log: createLogger('silent'), retryMinMs: 50, retryMaxMs: 1000 });

async function client(): Promise<Client> {
  const c = new Client({ connectionString: db.url });
  await c.connect();
  return c;
}

describe('data version', () => {
  it('watches every table of the schema but the few that do not change an answer', async () => {
    const rows = await db.sql.query<{ table: string; watched: boolean }>(
      `SELECT t.tablename AS table, EXISTS (SELECT 1 FROM pg_trigger g WHERE g.tgrelid = (quote_ident(t.tablename))::regclass AND g.tgname = 'data_changed') AS watched
       FROM pg_tables t WHERE t.schemaname = current_schema() ORDER BY 1`,
    );
    expect(rows.length).toBeGreaterThan(15);
    const unwatched = rows.filter((r) => !r.watched).map((r) => r.table);
    // A table added later without the trigger fails here: add it in a migration (or say here why its writes change no answer).
    expect(unwatched.sort()).toEqual([...UNWATCHED_TABLES].sort());
  });

  it('is bumped once by a committed transaction, whatever its statements, and never by a rollback', async () => {
    const c = await client();
    try {
      const v0 = await now();
      await c.query('BEGIN');
      await c.query(`UPDATE sector SET name = name WHERE code = 'none'`); // no row: a statement still says "written"
      await c.query(`UPDATE unit SET name = name WHERE code = 'none'`);
      expect(await now()).toBe(v0); // not before the commit
      await c.query('COMMIT');
      expect(await now()).toBe(v0 + 1n);
      await c.query('BEGIN');
      await c.query(`UPDATE sector SET name = name WHERE code = 'none'`);
      await c.query('ROLLBACK');
      expect(await now()).toBe(v0 + 1n);
      // A run's record alone (a rejection) does not bump it; a run that succeeds does.
      const [src] = (await c.query(`SELECT id FROM source WHERE code = 'reference'`)).rows;
      const [run] = (await c.query(`INSERT INTO ingest_run (source_id, kind, status) VALUES ($1, 'push', 'running') RETURNING id`, [src.id])).rows;
      await c.query(`UPDATE ingest_run SET status = 'rejected' WHERE id = $1`, [run.id]);
      expect(await now()).toBe(v0 + 1n);
      await c.query(`UPDATE ingest_run SET status = 'succeeded' WHERE id = $1`, [run.id]);
      expect(await now()).toBe(v0 + 2n);
    } finally {
      await c.end();
    }
  });

  it('does not make concurrent writers wait: the shard is taken at commit only', async () => {
    const [a, b] = [await client(), await client()];
    try {
      const v0 = await now();
      await a.query('BEGIN');
      await a.query(`UPDATE sector SET name = name WHERE code = 'none'`);
      await b.query('BEGIN');
      // Would fail if b had to wait for a's lock on a version row (a is still open).
      await b.query(`SET LOCAL lock_timeout = '500ms'`);
      await b.query(`UPDATE procedure SET name = name WHERE code = 'none'`);
      await b.query('COMMIT');
      expect(await now()).toBe(v0 + 1n);
      await a.query('COMMIT');
      expect(await now()).toBe(v0 + 2n);
    } finally {
      await a.end();
      await b.end();
    }
  });

  it('coalesces concurrent reads: at most one statement in flight and one queued', async () => {
    class CountingVersion extends DataVersion {
      statements = 0;
      override async readNow() {
        this.statements += 1;
        return super.readNow();
      }
    }
    const counting = new CountingVersion(db.sql);
    const before = await now();
    const reads = await Promise.all(Array.from({ length: 20 }, () => counting.read()));
    expect(counting.statements).toBe(1);
    expect(new Set(reads.map((r) => r.version))).toEqual(new Set([String(before)]));
    expect(reads[0].day).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    // A read asked for while one is under way gets a read of its own, started after it.
    const first = counting.read();
    const second = counting.read();
    await Promise.resolve();
    const third = counting.read();
    await Promise.all([first, second, third]);
    expect(counting.statements).toBe(3);
  });

  it('is kept in memory between commits while it listens: a commit, a version the client has seen, or a local write reads it anew', async () => {
    const watched = new DataVersion(db.sql);
    const listener = listenerOf();
    watched.watch(listener);
    const c = await client();
    try {
      await until(() => watched.listening);
      const first = await watched.read();
      expect(first.version).toBe(String(await now()));
      const statements = watched.stats.reads;
      // Fifty requests, no statement: the version is known until a notification.
      const again = await Promise.all(Array.from({ length: 50 }, () => watched.read()));
      expect(watched.stats.reads).toBe(statements);
      expect(new Set(again.map((s) => s.version))).toEqual(new Set([first.version]));
      // A commit on another connection: heard, and the next read asks the database.
      await c.query(`UPDATE sector SET name = name WHERE code = 'none'`);
      await until(() => watched.stats.notifications === 1);
      const after = await watched.read();
      expect(BigInt(after.version)).toBe(BigInt(first.version) + 1n);
      expect(watched.stats.reads).toBe(statements + 1);
      expect((await watched.read()).version).toBe(after.version);
      expect(watched.stats.reads).toBe(statements + 1);
      // A client that has seen a later version (another process's answer, not yet heard here): read anew.
      const ahead = await watched.read(BigInt(after.version) + 1n);
      expect(ahead.version).toBe(after.version);
      expect(watched.stats.reads).toBe(statements + 2);
      // Seen, not ahead: from memory.
      await watched.read(BigInt(after.version));
      expect(watched.stats.reads).toBe(statements + 2);
      // A write through this process (a mutation's answer is about to leave): read anew.
      watched.invalidate();
      await watched.read();
      expect(watched.stats.reads).toBe(statements + 3);
      // A rollback sends nothing.
      await c.query('BEGIN');
      await c.query(`UPDATE sector SET name = name WHERE code = 'none'`);
      await c.query('ROLLBACK');
      await c.query('SELECT pg_sleep(0.2)');
      expect(watched.stats.notifications).toBe(1);
    } finally {
      await c.end();
      await watched.close();
      await listener.close();
    }
    expect(watched.listening).toBe(false);
  });

  it('hears a commit made through its own pool before the writer\'s await returns, whatever the watch\'s connection has read', async () => {
    const watched = new DataVersion(db.sql);
    const listener = listenerOf();
    watched.watch(listener);
    try {
      await until(() => watched.listening);
      const first = await watched.read();
      // The watch's notification still in flight: its socket reads nothing until resumed. (CI once
      // served a cached answer from before an in-process ingest: the watch had not yet read it.)
      const socket = (listener as unknown as { open: { client: { connection: { stream: { pause(): void; resume(): void } } } } }).open.client.connection.stream;
      socket.pause();
      await db.sql.query(`UPDATE sector SET name = name WHERE code = 'none'`);
      socket.resume();
      // read() decides at its call, before the resumed socket's data is handled.
      const reads = watched.stats.reads;
      const after = await watched.read();
      expect(watched.stats.reads).toBe(reads + 1);
      expect(BigInt(after.version)).toBe(BigInt(first.version) + 1n);
      // In a transaction too: heard at its COMMIT.
      await until(() => watched.stats.notifications >= 1);
      await watched.read();
      socket.pause();
      await db.sql.transaction(async (tx) => {
        await tx.query(`UPDATE sector SET name = name WHERE code = 'none'`);
      });
      socket.resume();
      expect(BigInt((await watched.read()).version)).toBe(BigInt(first.version) + 2n);
    } finally {
      await watched.close();
      await listener.close();
    }
  });

  it('shares the one listening connection, forgets the version when it is lost, and keeps it again once the listener is back', async () => {
    const watched = new DataVersion(db.sql);
    const listener = listenerOf();
    watched.watch(listener);
    const heard: string[] = [];
    const other = { notified: (p: string) => heard.push(p) };
    listener.on('dvc_test_other', other);
    const c = await client();
    const downs: boolean[] = [];
    const off = db.health.onChange((up) => downs.push(up));
    try {
      await until(() => watched.listening);
      await listener.whenListening('dvc_test_other');
      // One backend for both channels.
      const backends = await c.query<{ pid: number }>(`SELECT pid FROM pg_stat_activity WHERE application_name = $1 AND datname = current_database()`, [LISTENER_APPLICATION_NAME]);
      expect(backends.rows.map((r) => r.pid)).toEqual([listener.backendPid]);
      await c.query(`NOTIFY dvc_test_other, 'one'`);
      await until(() => heard.length === 1);
      expect(heard).toEqual(['one']);
      const first = await watched.read();
      const reads = watched.stats.reads;
      // The listening backend ends (a restart, a network cut): the version is forgotten at once, the health told.
      await c.query('SELECT pg_terminate_backend($1)', [listener.backendPid]);
      await until(() => !watched.listening);
      expect(listener.stats.losses).toBe(1);
      // Unheard while lost: a commit on another connection. The next read asks the database.
      await c.query(`UPDATE sector SET name = name WHERE code = 'none'`);
      const during = await watched.read();
      expect(BigInt(during.version)).toBe(BigInt(first.version) + 1n);
      expect(watched.stats.reads).toBe(reads + 1);
      // Back once the health's recovery finds the database up: one new backend, both channels again.
      await until(() => watched.listening);
      expect(downs).toEqual([false, true]);
      expect(listener.stats.connections).toBe(2);
      await listener.whenListening('dvc_test_other');
      await c.query(`NOTIFY dvc_test_other, 'two'`);
      await until(() => heard.length === 2);
      const again = await watched.read();
      expect(again.version).toBe(during.version);
      await watched.read();
      expect(watched.stats.reads).toBe(reads + 2);
    } finally {
      off();
      await c.end();
      await watched.close();
      listener.off('dvc_test_other', other);
      await listener.close();
    }
  });

  it('is not bumped by an abandoned-run sweep that finds nothing to close, and is by one that closes a run', async () => {
    const v0 = await now();
    expect(await closeAbandonedRuns(db.sql, { failingAfter: 3 })).toEqual([]);
    expect(await now()).toBe(v0);
    // A running run whose backend is gone (no backend has pid 1 in pg_stat_activity).
    const [run] = await db.sql.query<{ id: number }>(
      `INSERT INTO ingest_run (source_id, kind, status, backend_pid, backend_start)
       SELECT id, 'push', 'running', 1, now() FROM source WHERE code = 'reference' RETURNING id`,
    );
    const closed = await closeAbandonedRuns(db.sql, { failingAfter: 3 });
    expect(closed.map((r) => r.id)).toEqual([run.id]);
    const [after] = await db.sql.query<{ status: string }>('SELECT status FROM ingest_run WHERE id = $1', [run.id]);
    expect(after.status).toBe('abandoned');
    expect(await now()).toBe(v0 + 1n);
  });
});
