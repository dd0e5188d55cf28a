import { CORRECTION_KINDS, type CorrectionKind } from './world.model';

/**
 * Faults on demand. A fault arms against requests matching a path prefix (and optionally a
 * method); it lets `skip` matching requests through, then hits the next `times` ones. Faults are
 * checked in the order added; each counts every matching request it sees, and the first one that
 * is due applies (one fault per request). Everything is counted, nothing is timed, so a test can
 * say "the 2nd request to /igate/80/api/dossiers returns 503" and get exactly that.
 */

export type FaultKind =
  /** Hold the request: answer normally after `hangMs`, or never (until the server closes). */
  | 'timeout'
  /** Answer with an HTTP error status (`status`, default 503; 502 comes as an nginx-style HTML page). */
  | 'status'
  /** 200 with the normal JSON body cut short. */
  | 'malformed-json'
  /** 200 with the normal CSV body cut in the middle of a data row. */
  | 'truncated-csv'
  /** Serve the previous request to the same path again (the previous page). */
  | 'repeat-page'
  /** Serve normally, then correct one resolved dossier of the page (feed only). */
  | 'correction'
  /** 200 with one record of the page (the middle one) carrying a wrong value in `field` (feed only). */
  | 'bad-value'
  /** 401 as if the token had expired. */
  | 'unauthorized'
  /** Destroy the connection without answering. */
  | 'reset';

export const FAULT_KINDS: readonly FaultKind[] = ['timeout', 'status', 'malformed-json', 'truncated-csv', 'repeat-page', 'correction', 'bad-value', 'unauthorized', 'reset'];

export interface FaultSpec {
  readonly kind: FaultKind;
  /** Request path prefix (no query), e.g. `/igate/80/api/dossiers`. Default: every simulated route. */
  readonly pathPrefix?: string;
  /** HTTP method to match (any when omitted). */
  readonly method?: string;
  /** Matching requests to let through before the fault hits (default 0). */
  readonly skip?: number;
  /** Matching requests to hit (default 1). */
  readonly times?: number;
  /** For `status`: 500, 502, 503... (default 503). */
  readonly status?: number;
  /** For `timeout`: answer normally after this many ms; omitted = never answer. */
  readonly hangMs?: number;
  /** For `correction`: what to change (default: chosen per dossier). */
  readonly correctionKind?: CorrectionKind;
  /** For `bad-value`: the record's field to spoil (e.g. `NgayHenTra`) and the value it gets (any JSON value). */
  readonly field?: string;
  readonly value?: unknown;
}

export interface FaultState {
  readonly id: number;
  readonly spec: FaultSpec;
  /** Matching requests still to let through. */
  readonly skipLeft: number;
  /** Hits left. */
  readonly timesLeft: number;
  readonly hits: number;
}

export interface FaultHit {
  readonly faultId: number;
  readonly kind: FaultKind;
  readonly method: string;
  readonly path: string;
}

interface MutableFault {
  id: number;
  spec: FaultSpec;
  skipLeft: number;
  timesLeft: number;
  hits: number;
}

function nonNegativeInt(value: unknown, name: string, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0) throw new Error(`${name} must be a non-negative integer`);
  return value;
}

/** Validates an untrusted fault description (from JSON). */
export function parseFaultSpec(input: unknown): FaultSpec {
  if (input === null || typeof input !== 'object') throw new Error('a fault must be an object');
  const o = input as Record<string, unknown>;
  if (!FAULT_KINDS.includes(o.kind as FaultKind)) throw new Error(`kind must be one of ${FAULT_KINDS.join(', ')}`);
  const kind = o.kind as FaultKind;
  if (o.pathPrefix !== undefined && (typeof o.pathPrefix !== 'string' || !o.pathPrefix.startsWith('/'))) throw new Error('pathPrefix must start with /');
  if (o.method !== undefined && typeof o.method !== 'string') throw new Error('method must be a string');
  const status = nonNegativeInt(o.status, 'status', 503);
  if (status < 400 || status > 599) throw new Error('status must be 400..599');
  if (o.correctionKind !== undefined && !CORRECTION_KINDS.includes(o.correctionKind as CorrectionKind)) {
    throw new Error(`correctionKind must be one of ${CORRECTION_KINDS.join(', ')}`);
  }
  if (kind === 'bad-value' && (typeof o.field !== 'string' || o.field === '' || !('value' in o))) throw new Error('bad-value needs a field (a record field name) and a value');
  const times = nonNegativeInt(o.times, 'times', 1);
  if (times < 1) throw new Error('times must be >= 1');
  return {
    kind,
    pathPrefix: o.pathPrefix as string | undefined,
    method: typeof o.method === 'string' ? o.method.toUpperCase() : undefined,
    skip: nonNegativeInt(o.skip, 'skip', 0),
    times,
    status,
    hangMs: o.hangMs === undefined ? undefined : nonNegativeInt(o.hangMs, 'hangMs', 0),
    correctionKind: o.correctionKind as CorrectionKind | undefined,
    ...(kind === 'bad-value' ? { field: o.field as string, value: o.value } : {}),
  };
}

export class FaultController {
  private faults: MutableFault[] = [];
  private nextId = 1;
  private readonly log: FaultHit[] = [];

  /** Arms one or more faults; returns their ids. */
  add(specs: FaultSpec | readonly FaultSpec[]): number[] {
    const list = Array.isArray(specs) ? (specs as readonly FaultSpec[]) : [specs as FaultSpec];
    const parsed = list.map((s) => parseFaultSpec(s));
    return parsed.map((spec) => {
      const id = this.nextId++;
      this.faults.push({ id, spec, skipLeft: spec.skip ?? 0, timesLeft: spec.times ?? 1, hits: 0 });
      return id;
    });
  }

  /** Disarms every fault (the hit log is kept). */
  clear(): void {
    this.faults = [];
  }

  remove(id: number): boolean {
    const before = this.faults.length;
    this.faults = this.faults.filter((f) => f.id !== id);
    return this.faults.length !== before;
  }

  /** Armed faults and their remaining counters. */
  list(): FaultState[] {
    return this.faults.map((f) => ({ id: f.id, spec: f.spec, skipLeft: f.skipLeft, timesLeft: f.timesLeft, hits: f.hits }));
  }

  /** Faults that have fired, oldest first. */
  hits(): readonly FaultHit[] {
    return this.log;
  }

  /** Decides the fault for one request (consuming counters); null when none applies. */
  match(method: string, path: string): FaultState | null {
    let chosen: MutableFault | null = null;
    for (const f of this.faults) {
      if (f.spec.pathPrefix !== undefined && !path.startsWith(f.spec.pathPrefix)) continue;
      if (f.spec.method !== undefined && f.spec.method !== method) continue;
      if (f.skipLeft > 0) {
        f.skipLeft--;
        continue;
      }
      if (chosen === null && f.timesLeft > 0) chosen = f;
    }
    if (!chosen) return null;
    chosen.timesLeft--;
    chosen.hits++;
    this.log.push({ faultId: chosen.id, kind: chosen.spec.kind, method, path });
    const state: FaultState = { id: chosen.id, spec: chosen.spec, skipLeft: 0, timesLeft: chosen.timesLeft, hits: chosen.hits };
    if (chosen.timesLeft === 0) this.faults = this.faults.filter((f) => f !== chosen);
    return state;
  }

  /** Gives a hit back (a correction fault that found nothing to correct waits for the next page). */
  rearm(state: FaultState): void {
    const existing = this.faults.find((f) => f.id === state.id);
    if (existing) existing.timesLeft++;
    else {
      // Back in its original place: order decides which of several due faults applies.
      this.faults.push({ id: state.id, spec: state.spec, skipLeft: 0, timesLeft: 1, hits: state.hits - 1 });
      this.faults.sort((a, b) => a.id - b.id);
    }
    if (existing) existing.hits--;
    const last = this.log[this.log.length - 1];
    if (last && last.faultId === state.id) this.log.pop();
  }
}
