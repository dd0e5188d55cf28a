import { FaultController } from './fault.controller';
import type { SimulatorConfig } from './http.util';
import { SimulatorServer } from './simulator.server';
import type { ScaleSpec } from './simulator.types';
import { SimulatedWorld } from './world.model';

/**
 * Portal simulator: one HTTP server impersonating the national portal (DVCQG reporting API),
 * the provincial one-stop dossier feeds (iGate style) and the provincial CSV exports, all derived
 * deterministically from a seed. Contract: docs/simulator.md.
 */

export interface SimulatorOptions {
  /** PRNG seed (default 42): same seed, same bytes. */
  seed?: number;
  /** World size (default 'small'). */
  scale?: 'small' | 'national' | ScaleSpec;
  /** TCP port; 0 (the default here) picks a free one. The CLI defaults to 4100. */
  port?: number;
  /** Interface to bind (default 127.0.0.1). */
  host?: string;
  /** Bearer token the national portal accepts (default `sim-dvcqg-token`). */
  dvcqgToken?: string;
  /** iGate client credentials (default `sim-client` / `sim-secret`). */
  clientId?: string;
  clientSecret?: string;
}

export interface RunningSimulator {
  /** Base URL without trailing slash, e.g. `http://127.0.0.1:4100`. */
  url: string;
  port: number;
  /** Stops the server and destroys every connection (hanging fault connections included). */
  close(): Promise<void>;
  faults: FaultController;
  world: SimulatedWorld;
}

export const DEFAULT_CONFIG: SimulatorConfig = {
  dvcqgToken: 'sim-dvcqg-token',
  clientId: 'sim-client',
  clientSecret: 'sim-secret',
  tokenTtlSeconds: 3600,
};

export async function startSimulator(opts: SimulatorOptions = {}): Promise<RunningSimulator> {
  const world = new SimulatedWorld(opts.seed ?? 42, opts.scale ?? 'small');
  const faults = new FaultController();
  const config: SimulatorConfig = {
    dvcqgToken: opts.dvcqgToken ?? DEFAULT_CONFIG.dvcqgToken,
    clientId: opts.clientId ?? DEFAULT_CONFIG.clientId,
    clientSecret: opts.clientSecret ?? DEFAULT_CONFIG.clientSecret,
    tokenTtlSeconds: DEFAULT_CONFIG.tokenTtlSeconds,
  };
  const server = new SimulatorServer(world, faults, config);
  const host = opts.host ?? '127.0.0.1';
  const port = await server.listen(opts.port ?? 0, host);
  const urlHost = host.includes(':') ? `[${host}]` : host;
  return { url: `http://${urlHost}:${port}`, port, close: () => server.close(), faults, world };
}

export { FaultController, SimulatedWorld };
export type { FaultKind, FaultSpec, FaultState, FaultHit } from './fault.controller';
export type { CorrectionKind, DossierCorrection } from './world.model';
export type { DossierRecord } from './dossier.generator';
export type { ScaleSpec, Procedure, Sector, SimService, SimUnit, Plan } from './simulator.types';
export { SCALES } from './simulator.types';
export { EXPORT_HEADER } from './export.routes';
export { encodeCursor, decodeCursor } from './igate.routes';
export type { SimulatorConfig } from './http.util';
