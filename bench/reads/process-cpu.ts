import fs from 'node:fs';
import path from 'node:path';
import type { GatewayChild } from '../gateway-child.runner';

/** The gateway child's embedded cluster, as a URL (its random password is kept beside the data folder). */
export function databaseUrlOf(gw: GatewayChild): string {
  const { password } = JSON.parse(fs.readFileSync(`${gw.dataDir}.credentials.json`, 'utf8')) as { password: string };
  return `postgresql://postgres:${encodeURIComponent(password)}@127.0.0.1:${gw.env.EMBEDDED_PG_PORT}/dvc_gateway`;
}

/** A process's /proc stat fields after the command name (Linux), or undefined when it is gone. */
function statFields(pid: number): string[] | undefined {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  } catch {
    return undefined;
  }
}

/** Seconds of CPU (user + system) used so far by a process. */
export function cpuSeconds(pid: number): number {
  const f = statFields(pid);
  return f ? (Number(f[11]) + Number(f[12])) / 100 : NaN;
}

/**
 * Seconds of CPU used so far by the embedded PostgreSQL: the postmaster, its live children, and
 * (cutime + cstime) the children it has reaped. Backends come and go with the pools' idle
 * timeouts; counting live processes only (cpuByRole) loses an exited backend's time and can
 * even go backwards.
 */
export function postgresCpuSeconds(gw: GatewayChild): number {
  const postmaster = Number(fs.readFileSync(path.join(gw.dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
  const own = statFields(postmaster);
  if (!own) return NaN;
  let total = (Number(own[11]) + Number(own[12]) + Number(own[13]) + Number(own[14])) / 100;
  for (const d of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    const f = statFields(Number(d));
    if (f && Number(f[1]) === postmaster) total += (Number(f[11]) + Number(f[12])) / 100;
  }
  return total;
}
