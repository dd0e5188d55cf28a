import { monthFirstIso, monthLastIso } from './calendar.util';
import { bodyField, jsonResponse, optionalInt, type RouteHandler, type SimContext, type SimRequest, type SimResponse } from './http.util';
import { activeMonths, hasDossiers, resolvePeriod, serviceCounts, stockMonth, type Period } from './statistics.aggregator';
import { isFullLevel, levelTaxonomy, levelText, LEVEL_PARTIAL, type SimService, type SimUnit } from './simulator.types';
import { isIntegratedAt, planDueDate, serviceLevelAt, serviceLevelSince } from './world.generator';
import type { SimulatedWorld } from './world.model';
import { monthlyReport } from './published-report';
import { indexScores, type IndexScore, type IndexTier } from './index766-scores';

/**
 * National portal (DVCQG) reporting API in the Decision 766 evaluation style: paged JSON rows per
 * agency and procedure, behind a fixed bearer token. See docs/simulator.md for the contract.
 */

export const DVCQG_PREFIX = '/dvcqg/api/v1';
const MAX_PAGE_SIZE = 5000;

function fail(status: number, code: string, message: string): SimResponse {
  return jsonResponse(status, { success: false, error: { code, message } });
}

export function dvcqgUnauthorized(): SimResponse {
  return fail(401, 'UNAUTHORIZED', 'missing or invalid bearer token');
}

function authorized(ctx: SimContext, req: SimRequest): boolean {
  return req.headers.authorization === `Bearer ${ctx.config.dvcqgToken}`;
}

/** The province a unit belongs to; a ministry belongs to none. */
function provinceOf(u: SimUnit): string | null {
  return u.kind === 'ministry' ? null : u.provinceCode;
}

function agencyFields(u: SimUnit): Record<string, string | null> {
  return {
    agencyCode: u.code,
    agencyName: u.name,
    agencyType: u.kind,
    provinceCode: provinceOf(u),
    agencyValidFrom: u.validFrom,
    agencyValidTo: u.validTo,
  };
}

interface Paging {
  readonly currentPage: number;
  readonly pageSize: number;
}

function readPaging(page: unknown, size: unknown): Paging | string {
  const currentPage = optionalInt(page, 1);
  const pageSize = optionalInt(size, 100);
  if (!(currentPage >= 1)) return 'currentPage must be an integer >= 1';
  if (!(pageSize >= 1 && pageSize <= MAX_PAGE_SIZE)) return `pageSize must be an integer 1..${MAX_PAGE_SIZE}`;
  return { currentPage, pageSize };
}

function paged<T>(paging: Paging, total: number, slice: (first: number, last: number) => T[], extra: Record<string, unknown> = {}): SimResponse {
  const from = (paging.currentPage - 1) * paging.pageSize;
  const to = Math.min(total, from + paging.pageSize);
  return jsonResponse(200, {
    success: true,
    data: {
      ...extra,
      currentPage: paging.currentPage,
      pageSize: paging.pageSize,
      totalPages: Math.ceil(total / paging.pageSize),
      totalRecords: total,
      items: from < to ? slice(from, to) : [],
    },
  });
}

/** Row lists per (group, period, root, clock), cached because building one scans every service. */
const rowCache = new WeakMap<SimulatedWorld, Map<string, readonly SimService[]>>();

function cachedRows(world: SimulatedWorld, key: string, build: () => SimService[]): readonly SimService[] {
  let cache = rowCache.get(world);
  if (!cache) {
    cache = new Map();
    rowCache.set(world, cache);
  }
  const fullKey = `${key}|${world.endMonth}`;
  const hit = cache.get(fullKey);
  if (hit) return hit;
  const rows = build();
  cache.set(fullKey, rows);
  if (cache.size > 32) cache.delete(cache.keys().next().value as string);
  return rows;
}

/** Services under a rootDepartmentId: a province code (with its communes), a ministry code, or any unit code. */
function scopeServices(world: SimulatedWorld, root: unknown): readonly SimService[] | string {
  if (root === undefined || root === null || root === '') return world.services;
  const code = String(root);
  const inProvince = world.servicesOfProvince(code);
  if (inProvince.length > 0) return inProvince;
  const ofUnit = world.services.filter((s) => s.unit.code === code);
  return ofUnit.length > 0 ? ofUnit : `unknown rootDepartmentId ${code}`;
}

function serviceProvision(ctx: SimContext, period: Period, root: unknown, onlyChanged: boolean, paging: Paging): SimResponse {
  const world = ctx.world;
  const scope = scopeServices(world, root);
  if (typeof scope === 'string') return fail(400, 'BAD_REQUEST', scope);
  const asOf = stockMonth(period, world.endMonth);
  const from = period.fromMonth;
  const rows =
    asOf === null
      ? []
      : cachedRows(world, `sp|${from}|${asOf}|${onlyChanged}|${String(root ?? '')}`, () =>
          scope.filter((s) => serviceLevelAt(s, asOf) > 0 && (!onlyChanged || serviceLevelSince(s, asOf) >= from)),
        );
  const periodInfo = {
    period: {
      timeType: period.timeType,
      year: period.year,
      quarter: period.quarter,
      month: period.month,
      fromDate: monthFirstIso(period.fromMonth),
      toDate: monthLastIso(period.toMonth),
      asOfDate: asOf === null ? null : monthLastIso(asOf),
    },
  };
  // Row literals are spelled out (no spread): spread objects were the cost of 100k-row months.
  return paged(
    paging,
    rows.length,
    (first, last) =>
      rows.slice(first, last).map((s) => {
        const at = asOf as number;
        const level = serviceLevelAt(s, at);
        const u = s.unit;
        const p = s.procedure;
        return {
          agencyCode: u.code,
          agencyName: u.name,
          agencyType: u.kind,
          provinceCode: provinceOf(u),
          agencyValidFrom: u.validFrom,
          agencyValidTo: u.validTo,
          procedureCode: p.code,
          procedureName: p.name,
          sectorCode: p.sector.code,
          tier: p.tier,
          eligibleFullOnline: p.eligibleFullOnline,
          essential: p.essential,
          serviceSince: monthFirstIso(s.firstMonth),
          asOfDate: monthLastIso(at),
          level: levelText(level),
          levelTaxonomy: levelTaxonomy(level),
          levelSince: monthFirstIso(serviceLevelSince(s, at)),
          integratedNational: isIntegratedAt(s, at),
          authorityCount: 1,
          fullCount: isFullLevel(level) ? 1 : 0,
          partialCount: level === 3 || level === LEVEL_PARTIAL ? 1 : 0,
        };
      }),
    periodInfo,
  );
}

function dossierProcessing(ctx: SimContext, period: Period, root: unknown, paging: Paging): SimResponse {
  const world = ctx.world;
  const scope = scopeServices(world, root);
  if (typeof scope === 'string') return fail(400, 'BAD_REQUEST', scope);
  const end = world.endMonth;
  const rows = cachedRows(world, `dp|${period.fromMonth}|${period.toMonth}|${String(root ?? '')}`, () =>
    scope.filter((s) => {
      const months = activeMonths(s, period, end);
      return months !== null && hasDossiers(world.dossiers, s, months[0], months[1]);
    }),
  );
  const periodInfo = {
    period: {
      timeType: period.timeType,
      year: period.year,
      quarter: period.quarter,
      month: period.month,
      fromDate: monthFirstIso(period.fromMonth),
      toDate: monthLastIso(period.toMonth),
    },
  };
  return paged(
    paging,
    rows.length,
    (first, last) =>
      rows.slice(first, last).map((s) => {
        const [m0, m1] = activeMonths(s, period, end) as [number, number];
        const c = serviceCounts(world, s, m0, m1);
        const u = s.unit;
        return {
          agencyCode: u.code,
          agencyName: u.name,
          agencyType: u.kind,
          provinceCode: provinceOf(u),
          agencyValidFrom: u.validFrom,
          agencyValidTo: u.validTo,
          procedureCode: s.procedure.code,
          procedureName: s.procedure.name,
          sectorCode: s.procedure.sector.code,
          fromDate: monthFirstIso(m0),
          toDate: monthLastIso(m1),
          receivedCount: c.received,
          onlineCount: c.online,
          directCount: c.direct,
          postalCount: c.postal,
          onTimeCount: c.onTime,
          overdueCount: c.overdue,
          inProgressCount: c.inProgress,
          feeCount: c.withFee,
          onlinePaymentCount: c.paidOnline,
          syncedCount: c.synced,
        };
      }),
    periodInfo,
  );
}

export const evaluationRoute: RouteHandler = (ctx, req, params) => {
  if (!authorized(ctx, req)) return dvcqgUnauthorized();
  if (req.bodyError) return fail(400, 'BAD_REQUEST', req.bodyError);
  const group = params[0];
  if (group !== 'service-provision' && group !== 'dossier-processing') {
    return fail(404, 'NOT_FOUND', `unknown evaluation group ${group}; known: service-provision, dossier-processing`);
  }
  const b = req.body;
  const period = resolvePeriod(bodyField(b, 'timeType'), bodyField(b, 'year'), bodyField(b, 'quarter'), bodyField(b, 'month'));
  if (typeof period === 'string') return fail(400, 'BAD_REQUEST', period);
  const paging = readPaging(bodyField(b, 'currentPage'), bodyField(b, 'pageSize'));
  if (typeof paging === 'string') return fail(400, 'BAD_REQUEST', paging);
  const root = bodyField(b, 'rootDepartmentId');
  const onlyChanged = bodyField(b, 'onlyChanged');
  if (onlyChanged !== undefined && typeof onlyChanged !== 'boolean') return fail(400, 'BAD_REQUEST', 'onlyChanged must be a boolean');
  return group === 'service-provision' ? serviceProvision(ctx, period, root, onlyChanged === true, paging) : dossierProcessing(ctx, period, root, paging);
};

export const proceduresRoute: RouteHandler = (ctx, req) => {
  if (!authorized(ctx, req)) return dvcqgUnauthorized();
  const paging = readPaging(req.query.get('page') ?? undefined, req.query.get('pageSize') ?? undefined);
  if (typeof paging === 'string') return fail(400, 'BAD_REQUEST', paging);
  const procs = ctx.world.procedures;
  return paged(paging, procs.length, (from, to) =>
    procs.slice(from, to).map((p) => ({
      procedureCode: p.code,
      procedureName: p.name,
      sector: { code: p.sector.code, name: p.sector.name },
      tier: p.tier,
      eligibleFullOnline: p.eligibleFullOnline,
      essential: p.essential,
      processingDays: p.processingDays,
      fee: p.fee,
    })),
  );
};

export const agenciesRoute: RouteHandler = (ctx, req) => {
  if (!authorized(ctx, req)) return dvcqgUnauthorized();
  const paging = readPaging(req.query.get('page') ?? undefined, req.query.get('pageSize') ?? undefined);
  if (typeof paging === 'string') return fail(400, 'BAD_REQUEST', paging);
  const units = ctx.world.units;
  return paged(paging, units.length, (from, to) =>
    units.slice(from, to).map((u) => ({ ...agencyFields(u), serviceCount: ctx.world.servicesOfUnit(u.key).length })),
  );
};

export const plansRoute: RouteHandler = (ctx, req) => {
  if (!authorized(ctx, req)) return dvcqgUnauthorized();
  const yearText = req.query.get('year');
  let year: number | undefined;
  if (yearText !== null && yearText !== '') {
    year = Number(yearText);
    if (!Number.isInteger(year)) return fail(400, 'BAD_REQUEST', 'year must be an integer');
  }
  const plans = ctx.world.plans(year);
  return jsonResponse(200, {
    success: true,
    data: {
      year: year ?? null,
      dueDate: year === undefined ? null : (planDueDate(year) ?? null),
      totalRecords: plans.length,
      items: plans.map((p) => {
        const u = ctx.world.unit(p.agencyKey) as SimUnit;
        return {
          ...agencyFields(u),
          year: p.year,
          documentNumber: p.documentNumber,
          title: p.title,
          issuedDate: p.issuedDate,
          dueDate: p.dueDate,
        };
      }),
    },
  });
};

/**
 * The portal's monthly report (published figures): POST {timeType: "month", year, month}. The
 * report's document (number, date, title, address) and per province and ministry the rates it
 * states; `document` is null and `items` empty for a month without a report (before July 2022,
 * or not yet ended). See src/simulator/published-report.ts.
 */
export const publishedReportRoute: RouteHandler = (ctx, req) => {
  if (!authorized(ctx, req)) return dvcqgUnauthorized();
  if (req.bodyError) return fail(400, 'BAD_REQUEST', req.bodyError);
  const b = req.body;
  if (bodyField(b, 'timeType') !== 'month') return fail(400, 'BAD_REQUEST', 'the portal publishes monthly reports: timeType must be "month"');
  const period = resolvePeriod('month', bodyField(b, 'year'), undefined, bodyField(b, 'month'));
  if (typeof period === 'string') return fail(400, 'BAD_REQUEST', period);
  const report = monthlyReport(ctx.world, period.fromMonth);
  return jsonResponse(200, {
    success: true,
    data: {
      period: { timeType: 'month', year: period.year, month: period.month, fromDate: monthFirstIso(period.fromMonth), toDate: monthLastIso(period.toMonth) },
      document: report?.document ?? null,
      totalRecords: report?.items.length ?? 0,
      items: (report?.items ?? []).map((i) => ({ ...agencyFields(i.agency), indicator: i.indicator, value: i.value })),
    },
  });
};

const TIERS: readonly IndexTier[] = ['province', 'ministry'];

/**
 * The portal's Decision 766 scores: POST {timeType: "month"|"quarter"|"year", year, quarter?,
 * month?, agencyType?: "province"|"ministry", currentPage?, pageSize?}. Per agency existing at the
 * end of the period, the five groups' points, the total and the rank among its tier; paged, ordered
 * by agencyType, rank, agencyCode. `evaluated` is false (and `items` empty) for a period the
 * portal has not evaluated: before July 2022, or not ended by the clock. See
 * src/simulator/index766-scores.ts and docs/simulator.md.
 */
export const index766Route: RouteHandler = (ctx, req) => {
  if (!authorized(ctx, req)) return dvcqgUnauthorized();
  if (req.bodyError) return fail(400, 'BAD_REQUEST', req.bodyError);
  const b = req.body;
  const period = resolvePeriod(bodyField(b, 'timeType'), bodyField(b, 'year'), bodyField(b, 'quarter'), bodyField(b, 'month'));
  if (typeof period === 'string') return fail(400, 'BAD_REQUEST', period);
  const paging = readPaging(bodyField(b, 'currentPage'), bodyField(b, 'pageSize'));
  if (typeof paging === 'string') return fail(400, 'BAD_REQUEST', paging);
  const type = bodyField(b, 'agencyType');
  if (type !== undefined && type !== null && !TIERS.includes(type as IndexTier)) return fail(400, 'BAD_REQUEST', 'agencyType must be "province" or "ministry"');
  const tiers = type ? [type as IndexTier] : [...TIERS].sort();
  const scored = tiers.map((t) => indexScores(ctx.world, period, t));
  const rows: IndexScore[] = scored.every((s) => s !== null) ? scored.flatMap((s) => s as IndexScore[]) : [];
  const rankedAmong = new Map(tiers.map((t, i) => [t, scored[i]?.length ?? 0]));
  const periodInfo = {
    period: {
      timeType: period.timeType, year: period.year, quarter: period.quarter, month: period.month,
      fromDate: monthFirstIso(period.fromMonth), toDate: monthLastIso(period.toMonth),
    },
    evaluated: scored.every((s) => s !== null),
  };
  return paged(paging, rows.length, (first, last) =>
    rows.slice(first, last).map((s) => ({
      ...agencyFields(s.agency),
      fromDate: monthFirstIso(s.fromMonth),
      toDate: monthLastIso(s.toMonth),
      groups: s.groups.map((g) => ({ code: g.code, name: g.name, maxPoints: g.maxPoints, points: g.points })),
      totalPoints: s.total,
      rank: s.rank,
      rankedAmong: rankedAmong.get(s.agency.kind as IndexTier),
    })), periodInfo);
};
