#!/usr/bin/env node
import { Command, InvalidArgumentError } from 'commander';
import pino from 'pino';
import { startSimulator } from './index';

/** `node dist/src/simulator/simulator.cli.js --port 4100 --seed 42 --scale small` */

function integer(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError('expected a non-negative integer');
  return n;
}

function scale(value: string): 'small' | 'national' {
  if (value !== 'small' && value !== 'national') throw new InvalidArgumentError('expected small or national');
  return value;
}

async function main(): Promise<void> {
  const program = new Command()
    .name('simulator')
    .description('Deterministic simulator of the portals dvc-gateway federates (see docs/simulator.md)')
    .option('--port <port>', 'TCP port (0 = any free port)', integer, 4100)
    .option('--host <host>', 'interface to bind', '127.0.0.1')
    .option('--seed <seed>', 'PRNG seed', integer, 42)
    .option('--scale <scale>', 'small | national', scale, 'small')
    .option('--dvcqg-token <token>', 'bearer token of the national portal API', 'sim-dvcqg-token')
    .option('--client-id <id>', 'iGate client_id', 'sim-client')
    .option('--client-secret <secret>', 'iGate client_secret', 'sim-secret')
    .parse();
  const o = program.opts<{ port: number; host: string; seed: number; scale: 'small' | 'national'; dvcqgToken: string; clientId: string; clientSecret: string }>();
  const log = pino({ name: 'simulator' });
  const started = Date.now();
  const sim = await startSimulator(o);
  log.info(
    { url: sim.url, seed: o.seed, scale: o.scale, services: sim.world.services.length, feedProvinces: sim.world.feedProvinceCodes().length, units: sim.world.units.length, startupMs: Date.now() - started },
    'portal simulator listening',
  );
  const stop = (signal: string): void => {
    log.info({ signal }, 'stopping');
    void sim.close().then(() => process.exit(0));
  };
  process.once('SIGINT', () => stop('SIGINT'));
  process.once('SIGTERM', () => stop('SIGTERM'));
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.stack ?? err.message : String(err)}\n`);
  process.exit(1);
});
