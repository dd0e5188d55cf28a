/**
 * Simulated time. Every instant is an integer count of seconds since 2018-01-01T00:00:00 in
 * Asia/Ho_Chi_Minh local time (UTC+7, no DST), so calendar arithmetic never touches the host's
 * time zone and formatting is table lookups (the dossier feed formats millions of timestamps).
 * Months are indexes: 0 = 2018-01, 54 = 2022-07 (Decree 42), 90 = 2025-07 (the 2025 reform).
 */

// Math functions bound once at module level: under jest every global lookup (Math) goes through
// the vm context's interceptor and costs ~100x more, which made the suite crawl.
const { floor, round } = Math;

export const BASE_YEAR = 2018;
/** Months the simulator can reach (the clock may be advanced up to 2030-12). */
export const MONTHS_SUPPORTED = 13 * 12;
export const DECREE42_MONTH = 54;
export const REFORM_MONTH = 90;
/** Default clock: every month up to 2025-12 has happened. */
export const DEFAULT_END_MONTH = 95;
export const SECONDS_PER_DAY = 86_400;

const BASE_UTC_MS = Date.UTC(BASE_YEAR, 0, 1);
const DAY_COUNT = round((Date.UTC(BASE_YEAR + 14, 0, 1) - BASE_UTC_MS) / 86_400_000);

const pad2 = (n: number): string => (n < 10 ? `0${n}` : String(n));
const PAD2: readonly string[] = Array.from({ length: 100 }, (_, i) => pad2(i));

const dayCompact: string[] = new Array<string>(DAY_COUNT);
const dayIsoText: string[] = new Array<string>(DAY_COUNT);
const dayWeekday = new Uint8Array(DAY_COUNT);
const dayMonth = new Int16Array(DAY_COUNT);
for (let d = 0; d < DAY_COUNT; d++) {
  const date = new Date(BASE_UTC_MS + d * 86_400_000);
  const y = date.getUTCFullYear();
  const m = date.getUTCMonth() + 1;
  const day = date.getUTCDate();
  dayCompact[d] = `${y}${PAD2[m]}${PAD2[day]}`;
  dayIsoText[d] = `${y}-${PAD2[m]}-${PAD2[day]}`;
  dayWeekday[d] = date.getUTCDay();
  dayMonth[d] = (y - BASE_YEAR) * 12 + (m - 1);
}

/** `yyyyMMdd` of every day as ASCII bytes, for writing timestamps straight into buffers. */
const dayDigits = new Uint8Array(DAY_COUNT * 8);
for (let d = 0; d < DAY_COUNT; d++) for (let k = 0; k < 8; k++) dayDigits[d * 8 + k] = dayCompact[d].charCodeAt(k);

const monthFirstDay = new Int32Array(MONTHS_SUPPORTED + 1);
const monthWorkingDays: Int32Array[] = [];
for (let mi = 0; mi <= MONTHS_SUPPORTED; mi++) {
  const y = BASE_YEAR + floor(mi / 12);
  monthFirstDay[mi] = round((Date.UTC(y, mi % 12, 1) - BASE_UTC_MS) / 86_400_000);
}
for (let mi = 0; mi < MONTHS_SUPPORTED; mi++) {
  const days: number[] = [];
  for (let d = monthFirstDay[mi]; d < monthFirstDay[mi + 1]; d++) {
    // One-stop desks open Monday to Friday; online filings come in any day.
    if (dayWeekday[d] !== 0 && dayWeekday[d] !== 6) days.push(d);
  }
  monthWorkingDays.push(Int32Array.from(days));
}

export function monthIndex(year: number, month: number): number {
  return (year - BASE_YEAR) * 12 + (month - 1);
}

export function monthYear(mi: number): { year: number; month: number } {
  return { year: BASE_YEAR + floor(mi / 12), month: (mi % 12) + 1 };
}

/** `yyyy-MM`. */
export function monthLabel(mi: number): string {
  const { year, month } = monthYear(mi);
  return `${year}-${PAD2[month]}`;
}

/** `yyMM`, as used inside dossier numbers. */
export function monthCompactShort(mi: number): string {
  const { year, month } = monthYear(mi);
  return `${PAD2[year % 100]}${PAD2[month]}`;
}

export function monthFirstDayIndex(mi: number): number {
  return monthFirstDay[mi];
}

export function monthDayCount(mi: number): number {
  return monthFirstDay[mi + 1] - monthFirstDay[mi];
}

export function monthStartSeconds(mi: number): number {
  return monthFirstDay[mi] * SECONDS_PER_DAY;
}

export function monthWorkingDayIndexes(mi: number): Int32Array {
  return monthWorkingDays[mi];
}

/** First day of the month, `yyyy-MM-dd`. */
export function monthFirstIso(mi: number): string {
  return dayIsoText[monthFirstDay[mi]];
}

/** Last day of the month, `yyyy-MM-dd`. */
export function monthLastIso(mi: number): string {
  return dayIsoText[monthFirstDay[mi + 1] - 1];
}

export function dayIso(day: number): string {
  return dayIsoText[day];
}

export function monthOfSeconds(sec: number): number {
  const day = floor(sec / SECONDS_PER_DAY);
  if (day < 0) return -1;
  if (day >= DAY_COUNT) return MONTHS_SUPPORTED;
  return dayMonth[day];
}

/** `yyyyMMddHHmmss`, local time. */
export function formatTimestamp(sec: number): string {
  const day = floor(sec / SECONDS_PER_DAY);
  let rest = sec - day * SECONDS_PER_DAY;
  const h = floor(rest / 3600);
  rest -= h * 3600;
  const min = floor(rest / 60);
  return dayCompact[day] + PAD2[h] + PAD2[min] + PAD2[rest - min * 60];
}

/** Writes `yyyyMMddHHmmss` as ASCII at `pos` (the buffer must have 14 bytes free); returns the new position. */
export function writeTimestamp(buf: Uint8Array, pos: number, sec: number): number {
  const day = floor(sec / SECONDS_PER_DAY);
  let rest = sec - day * SECONDS_PER_DAY;
  const base = day * 8;
  for (let k = 0; k < 8; k++) buf[pos + k] = dayDigits[base + k];
  const h = floor(rest / 3600);
  rest -= h * 3600;
  const min = floor(rest / 60);
  const s = rest - min * 60;
  buf[pos + 8] = 48 + floor(h / 10);
  buf[pos + 9] = 48 + (h % 10);
  buf[pos + 10] = 48 + floor(min / 10);
  buf[pos + 11] = 48 + (min % 10);
  buf[pos + 12] = 48 + floor(s / 10);
  buf[pos + 13] = 48 + (s % 10);
  return pos + 14;
}

/** `yyyy-MM-dd` of an instant. */
export function isoDateOfSeconds(sec: number): string {
  return dayIsoText[floor(sec / SECONDS_PER_DAY)];
}

/** Parses `yyyyMMddHHmmss` (also accepts `yyyyMMdd`); null when malformed or out of range. */
export function parseTimestamp(text: string): number | null {
  const m = /^(\d{4})(\d{2})(\d{2})(?:(\d{2})(\d{2})(\d{2}))?$/.exec(text);
  if (!m) return null;
  const [y, mo, d, h, mi, s] = [m[1], m[2], m[3], m[4] ?? '0', m[5] ?? '0', m[6] ?? '0'].map(Number);
  if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || s > 59) return null;
  const ms = Date.UTC(y, mo - 1, d, h, mi, s);
  const check = new Date(ms);
  if (check.getUTCMonth() !== mo - 1 || check.getUTCDate() !== d) return null;
  return (ms - BASE_UTC_MS) / 1000;
}

/** Parses `yyyy-MM-dd` to a day index; null when malformed. */
export function parseIsoDay(text: string): number | null {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text);
  if (!m) return null;
  const sec = parseTimestamp(`${m[1]}${m[2]}${m[3]}`);
  return sec === null ? null : sec / SECONDS_PER_DAY;
}

export function isoDayToIndex(text: string): number {
  const day = parseIsoDay(text);
  if (day === null) throw new Error(`bad date ${text}`);
  return day;
}
