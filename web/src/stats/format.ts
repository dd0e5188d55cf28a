import type { Lang } from './url-state';

/** Numbers and dates in the reader's language (Vietnamese: 12,5%; 1.234). */
const LOCALES: Record<Lang, string> = { vi: 'vi-VN', en: 'en-GB' };

export interface Formats {
  percent(v: number | null | undefined): string;
  count(v: number | null | undefined): string;
  points(v: number | null | undefined): string;
  /** Index points (Decision 766), to the hundredth the API gives them. */
  score(v: number | null | undefined): string;
  /** A difference of index points, signed (+1,50; −0,25; 0,00). */
  signedScore(v: number | null | undefined): string;
  date(iso: string | null | undefined): string;
  dateTime(iso: string | null | undefined): string;
}

/** A formatter built on its first use: building Intl formatters costs tens of ms, the first view needs few of them. */
function once<T>(make: () => T): () => T {
  let made: T | undefined;
  return () => (made ??= make());
}

export function formats(lang: Lang, none: string): Formats {
  const locale = LOCALES[lang];
  const pct = once(() => new Intl.NumberFormat(locale, { style: 'percent', minimumFractionDigits: 1, maximumFractionDigits: 1 }));
  const int = once(() => new Intl.NumberFormat(locale, { maximumFractionDigits: 2 }));
  const pts = once(() => new Intl.NumberFormat(locale, { minimumFractionDigits: 1, maximumFractionDigits: 1 }));
  const hundredths = once(() => new Intl.NumberFormat(locale, { minimumFractionDigits: 2, maximumFractionDigits: 2 }));
  const signed = once(() => new Intl.NumberFormat(locale, { minimumFractionDigits: 2, maximumFractionDigits: 2, signDisplay: 'exceptZero' }));
  const day = once(() => new Intl.DateTimeFormat(locale, { day: 'numeric', month: 'numeric', year: 'numeric', timeZone: 'UTC' }));
  const moment = once(() => new Intl.DateTimeFormat(locale, { dateStyle: 'medium', timeStyle: 'short', timeZone: 'Asia/Ho_Chi_Minh' }));
  const missing = (v: unknown): v is null | undefined => v === null || v === undefined;
  return {
    percent: (v) => (missing(v) ? none : pct().format(v)),
    count: (v) => (missing(v) ? none : int().format(v)),
    points: (v) => (missing(v) ? none : pts().format(v)),
    score: (v) => (missing(v) ? none : hundredths().format(v)),
    signedScore: (v) => (missing(v) ? none : signed().format(v)),
    date: (iso) => (missing(iso) ? none : day().format(new Date(`${iso}T00:00:00Z`))),
    dateTime: (iso) => (missing(iso) ? none : moment().format(new Date(iso))),
  };
}
