import { Database } from '../../src/db/database';
import { SqlClient } from '../../src/db/sql';
import { FactScope, lockFactScope } from '../../src/ingest/fact-upsert';
import { createTestDatabase } from '../support/harness';

/**
 * Fact writers lock the top-level units they write (lockFactScope): writers of different
 * provinces apply side by side, two writers of one province take turns, and a writer of
 * everything waits for all. Checked on real transactions, each with a short lock_timeout.
 */
describe('fact write locks', () => {
  let db: Database;
  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(() => db?.close());

  /** Opens a transaction holding `scope`'s locks; release() rolls it back. */
  async function hold(scope: FactScope): Promise<{ release: () => Promise<void> }> {
    const client = await db.sql.pool.connect();
    await client.query('BEGIN');
    await lockFactScope(new SqlClient(client), scope);
    return {
      release: async () => {
        await client.query('ROLLBACK');
        client.release();
      },
    };
  }

  /** Whether `scope`'s locks can be taken within 300 ms while the others are held. */
  async function canTake(scope: FactScope): Promise<boolean> {
    const client = await db.sql.pool.connect();
    try {
      await client.query('BEGIN');
      await client.query(`SET LOCAL lock_timeout = '300ms'`);
      await lockFactScope(new SqlClient(client), scope);
      return true;
    } catch (e) {
      if ((e as { code?: string }).code === '55P03') return false; // lock_not_available
      throw e;
    } finally {
      await client.query('ROLLBACK');
      client.release();
    }
  }

  const unitId = async (code: string, at: string) =>
    (await db.sql.query<{ id: number }>('SELECT id FROM unit WHERE code = $1 AND (valid_from IS NULL OR valid_from <= $2) AND (valid_to IS NULL OR valid_to >= $2)', [code, at]))[0].id;

  it('lets writers of different provinces through and makes writers of one province wait', async () => {
    const hanoi = await hold({ unitCodes: ['01'] });
    try {
      expect(await canTake({ unitCodes: ['79'] })).toBe(true);
      expect(await canTake({ unitCodes: ['01'] })).toBe(false);
      // A commune of Hà Nội falls under Hà Nội's lock, whether named by code or by id.
      expect(await canTake({ unitIds: [await unitId('00004', '2021-01-01')] })).toBe(false);
      expect(await canTake('all')).toBe(false);
    } finally {
      await hanoi.release();
    }
    expect(await canTake({ unitCodes: ['01'] })).toBe(true);
  });

  it('makes everyone wait for a writer of everything', async () => {
    const all = await hold({ unitCodes: ['*'] });
    try {
      expect(await canTake({ unitCodes: ['96'] })).toBe(false);
      expect(await canTake({ unitIds: [await unitId('72', '2021-01-01')] })).toBe(false);
    } finally {
      await all.release();
    }
    expect(await canTake({ unitCodes: ['96'] })).toBe(true);
  });

  it('covers every unit a reused code has named (80: old Long An, new Tây Ninh)', async () => {
    const eighty = await hold({ unitCodes: ['80'] });
    try {
      // The new Tây Ninh (code 80 since July 2025) and old Long An are both held.
      expect(await canTake({ unitIds: [await unitId('80', '2025-07-01')] })).toBe(false);
      expect(await canTake({ unitIds: [await unitId('80', '2024-01-01')] })).toBe(false);
      // Old Tây Ninh (code 72) is another province.
      expect(await canTake({ unitIds: [await unitId('72', '2024-01-01')] })).toBe(true);
    } finally {
      await eighty.release();
    }
  });
});
