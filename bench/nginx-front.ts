import { ChildProcess, spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { freePort } from '../src/common/free-port';
import { projectRoot } from '../src/config/project-root';

/**
 * Debian's nginx on loopback, running deploy/nginx.conf in front of gateway processes: for
 * `npm run bench:nginx` (bench/nginx.bench.ts) and test/scaleout/nginx.test.ts.
 */

export const NGINX = '/usr/sbin/nginx';
export const TEMPLATE = path.join(projectRoot(), 'deploy', 'nginx.conf');

/**
 * /usr/sbin/nginx, installed with apt-get if it is missing (as root, on Debian; its package does
 * not start a server here: no init system, policy-rc.d denies it). `install: false` only says
 * what to do.
 */
export function ensureNginx(install: boolean): string {
  if (fs.existsSync(NGINX)) return NGINX;
  if (!install) throw new Error(`${NGINX} is missing: apt-get install -y nginx (as .ci/run does)`);
  console.log('nginx is missing: apt-get install -y nginx');
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  let r = spawnSync('apt-get', ['install', '-y', '-qq', 'nginx'], { stdio: 'inherit', env });
  if (r.status !== 0) {
    spawnSync('apt-get', ['update', '-qq'], { stdio: 'inherit', env });
    r = spawnSync('apt-get', ['install', '-y', '-qq', 'nginx'], { stdio: 'inherit', env });
  }
  if (r.status !== 0 || !fs.existsSync(NGINX)) throw new Error('apt-get install -y nginx failed');
  return NGINX;
}

export interface RenderOptions {
  /** Loopback port nginx listens on. */
  port: number;
  /** Ports of the gateway processes (127.0.0.1). */
  upstreams: number[];
  /** Folder for the cache and the access log. */
  dir: string;
}

/**
 * deploy/nginx.conf as it runs on loopback: the listen port, the upstream's servers, the cache
 * folder and the access log replaced, nothing else. Fails if the template no longer has what it
 * replaces (so an edit of the template cannot silently leave the tests on another config).
 */
export function renderSiteConfig(template: string, opts: RenderOptions): string {
  const replace = (text: string, pattern: RegExp, by: string, what: string) => {
    if (!pattern.test(text)) throw new Error(`deploy/nginx.conf: ${what} not found (${pattern})`);
    return text.replace(pattern, by);
  };
  let s = template;
  s = replace(s, /^(\s*)listen 80;$/m, `$1listen 127.0.0.1:${opts.port};`, 'the listen line');
  s = replace(s, /((?:^\s*server 127\.0\.0\.1:\d+[^\n]*\n)+)/m, opts.upstreams.map((p) => `    server 127.0.0.1:${p} max_fails=3 fail_timeout=10s;\n`).join(''), "the upstream's servers");
  s = replace(s, /\/var\/cache\/nginx\/dvc-gateway/, path.join(opts.dir, 'cache'), 'the cache folder');
  s = replace(s, /\/var\/log\/nginx\/dvc-gateway\.access\.log/, path.join(opts.dir, 'access.log'), 'the access log');
  return s;
}

export interface NginxFront {
  /** http://127.0.0.1:<port> of the site (deploy/nginx.conf). */
  origin: string;
  /** The same upstream without the cache, when asked for (bench: load balancing alone). */
  uncachedOrigin?: string;
  dir: string;
  /** CPU seconds (user + system) nginx's master and workers have used so far (Linux /proc). */
  cpuSeconds(): number;
  /** nginx's error log so far. */
  errors(): string;
  stop(): Promise<void>;
}

/** Starts nginx (foreground master, one worker) with the rendered site; resolves once it accepts connections. */
export async function startNginx(upstreams: number[], opts: { install?: boolean; uncached?: boolean } = {}): Promise<NginxFront> {
  const bin = ensureNginx(opts.install ?? false);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dvc-nginx-'));
  // The master runs as root here and its worker as nobody: the cache and temporary folders must be theirs too.
  fs.chmodSync(dir, 0o777);
  for (const sub of ['cache', 'tmp']) fs.mkdirSync(path.join(dir, sub), { mode: 0o777 });
  fs.chmodSync(path.join(dir, 'cache'), 0o777);
  fs.chmodSync(path.join(dir, 'tmp'), 0o777);
  const port = await freePort();
  const uncachedPort = opts.uncached ? await freePort() : undefined;
  fs.writeFileSync(path.join(dir, 'dvc-gateway.conf'), renderSiteConfig(fs.readFileSync(TEMPLATE, 'utf8'), { port, upstreams, dir }));
  const tmp = path.join(dir, 'tmp');
  const main = `daemon off;
worker_processes 1;
pid ${path.join(dir, 'nginx.pid')};
error_log ${path.join(dir, 'error.log')} warn;
events { worker_connections 4096; }
http {
  client_body_temp_path ${tmp}/body;
  proxy_temp_path ${tmp}/proxy;
  fastcgi_temp_path ${tmp}/fastcgi;
  uwsgi_temp_path ${tmp}/uwsgi;
  scgi_temp_path ${tmp}/scgi;
  include ${path.join(dir, 'dvc-gateway.conf')};
${uncachedPort ? `  # Bench only: the same upstream without the cache (load balancing alone).
  server {
    listen 127.0.0.1:${uncachedPort};
    access_log off;
    location / {
      proxy_pass http://dvc_gateway;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
    }
  }` : ''}
}
`;
  const conf = path.join(dir, 'nginx.conf');
  fs.writeFileSync(conf, main);
  const check = spawnSync(bin, ['-t', '-p', dir, '-c', conf, '-e', path.join(dir, 'error.log')], { encoding: 'utf8' });
  if (check.status !== 0) throw new Error(`nginx -t refused the configuration:\n${check.stderr}`);
  const child: ChildProcess = spawn(bin, ['-p', dir, '-c', conf, '-e', path.join(dir, 'error.log')], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const errors = () => stderr + (fs.existsSync(path.join(dir, 'error.log')) ? fs.readFileSync(path.join(dir, 'error.log'), 'utf8') : '');
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGQUIT'); // graceful: finish what is in flight
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    }
    fs.rmSync(dir, { recursive: true, force: true });
  };
  const deadline = Date.now() + 15_000;
  for (;;) {
    if (child.exitCode !== null) {
      const why = errors();
      await stop();
      throw new Error(`nginx exited at start:\n${why}`);
    }
    if (await accepts(port)) break;
    if (Date.now() > deadline) {
      const why = errors();
      await stop();
      throw new Error(`nginx did not listen on 127.0.0.1:${port}:\n${why}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  const cpuSeconds = () => cpuOfTree(child.pid!);
  return { origin: `http://127.0.0.1:${port}`, uncachedOrigin: uncachedPort ? `http://127.0.0.1:${uncachedPort}` : undefined, dir, cpuSeconds, errors, stop };
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1');
    s.once('connect', () => (s.destroy(), resolve(true)));
    s.once('error', () => resolve(false));
  });
}

/** CPU seconds of a process and its children (nginx's workers), from /proc/<pid>/stat; 0 where there is no /proc. */
function cpuOfTree(pid: number): number {
  const stat = (p: string) => {
    try {
      const text = fs.readFileSync(`/proc/${p}/stat`, 'utf8');
      const f = text.slice(text.lastIndexOf(')') + 2).split(' ');
      return { ppid: Number(f[1]), seconds: (Number(f[11]) + Number(f[12])) / 100 };
    } catch {
      return undefined;
    }
  };
  let total = stat(String(pid))?.seconds ?? 0;
  try {
    for (const d of fs.readdirSync('/proc')) {
      if (!/^\d+$/.test(d)) continue;
      const s = stat(d);
      if (s?.ppid === pid) total += s.seconds;
    }
  } catch {
    // not Linux
  }
  return total;
}
