import { stringify } from 'csv-stringify/sync';
import { textResponse, type RouteHandler, type SimResponse } from './http.util';
import { activeMonths, resolvePeriod, serviceCounts } from './statistics.aggregator';
import { legacyLevel } from './simulator.types';
import { serviceLevelAt } from './world.generator';

/**
 * Provincial statistics export: a legacy CSV (UTF-8 with BOM, CRLF) with Vietnamese headers and
 * Decree 43 level columns, one row per agency and procedure. See docs/simulator.md.
 */

export const EXPORT_HEADER: readonly string[] = [
  'STT',
  'Mã đơn vị',
  'Tên đơn vị',
  'Lĩnh vực',
  'Mã TTHC',
  'Tên thủ tục',
  'Mức độ',
  'Số hồ sơ trực tuyến',
  'Số hồ sơ trực tiếp',
  'Số hồ sơ BCCI',
  'Đúng hạn',
  'Trễ hạn',
  'Đang xử lý',
  'Có phí',
  'Thanh toán trực tuyến',
];

function plainError(status: number, message: string): SimResponse {
  return textResponse(status, `${message}\r\n`);
}

export const exportRoute: RouteHandler = (ctx, req, params) => {
  const province = params[0];
  const world = ctx.world;
  if (!world.hasFeed(province)) return plainError(404, `Không tìm thấy đơn vị ${province}`);
  const services = world.servicesOfProvince(province);
  const q = req.query;
  const thang = q.get('thang');
  const quy = q.get('quy');
  if (thang && quy) return plainError(400, 'Chỉ dùng một trong hai tham số thang hoặc quy');
  const period = thang
    ? resolvePeriod('month', q.get('nam'), undefined, thang)
    : quy
      ? resolvePeriod('quarter', q.get('nam'), quy, undefined)
      : resolvePeriod('year', q.get('nam'), undefined, undefined);
  if (typeof period === 'string') return plainError(400, `Tham số không hợp lệ: ${period}`);

  const rows: (string | number)[][] = [EXPORT_HEADER as string[]];
  const end = world.endMonth;
  let stt = 0;
  for (const s of services) {
    const months = activeMonths(s, period, end);
    if (!months) continue;
    const c = serviceCounts(world, s, months[0], months[1]);
    rows.push([
      ++stt,
      s.unit.code,
      s.unit.name,
      s.procedure.sector.name,
      s.procedure.code,
      s.procedure.name,
      // Level at the end of the period (or of the unit's life, or the clock): legacy 1-4 scale.
      legacyLevel(serviceLevelAt(s, months[1])),
      c.online,
      c.direct,
      c.postal,
      c.onTime,
      c.overdue,
      c.inProgress,
      c.withFee,
      c.paidOnline,
    ]);
  }
  const csv = stringify(rows, { bom: true, record_delimiter: 'windows' });
  const suffix = period.month ? `${period.year}-${String(period.month).padStart(2, '0')}` : period.quarter ? `${period.year}-Q${period.quarter}` : `${period.year}`;
  return {
    status: 200,
    headers: {
      'content-type': 'text/csv; charset=utf-8',
      'content-disposition': `attachment; filename="thong-ke-${province}-${suffix}.csv"`,
    },
    body: Buffer.from(csv, 'utf8'),
  };
};
