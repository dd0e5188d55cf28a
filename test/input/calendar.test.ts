import { currentMonth, isFutureMonth, today, yearProblem } from '../../src/common/calendar';
import { controlCharacterProblem, escapeControlCharacters } from '../../src/common/control-characters';

/** The calendar and character rules on their own: fixed instants, expectations worked out by hand. */
describe('calendar rules (Asia/Ho_Chi_Minh)', () => {
  it('starts a day and a month at midnight in Hà Nội, 17:00 UTC the day before', () => {
    // 16:59:59 UTC on 30 November is 23:59:59 in Hà Nội: still November there.
    expect(today(new Date('2026-11-30T16:59:59Z'))).toBe('2026-11-30');
    expect(currentMonth(new Date('2026-11-30T16:59:59Z'))).toBe('2026-11');
    // 17:00 UTC is midnight on 1 December in Hà Nội, while UTC is still on 30 November.
    expect(today(new Date('2026-11-30T17:00:00Z'))).toBe('2026-12-01');
    expect(currentMonth(new Date('2026-11-30T17:00:00Z'))).toBe('2026-12');
    expect(currentMonth(new Date('2026-12-31T17:00:00Z'))).toBe('2027-01');
  });

  it('calls a month future only after the current one', () => {
    const now = new Date('2026-12-01T03:00:00Z'); // 10:00 on 1 December in Hà Nội
    expect(isFutureMonth('2026-11', currentMonth(now))).toBe(false);
    expect(isFutureMonth('2026-12', currentMonth(now))).toBe(false);
    expect(isFutureMonth('2027-01', currentMonth(now))).toBe(true);
    expect(isFutureMonth('2030-01', currentMonth(now))).toBe(true);
    // At 23:00 UTC on 30 November it is already December in Hà Nội, so December is not future.
    expect(isFutureMonth('2026-12', currentMonth(new Date('2026-11-30T23:00:00Z')))).toBe(false);
  });

  it('checks years against an inclusive range', () => {
    const range = { minYear: 1945, maxYear: 2100 };
    expect(yearProblem(1945, range)).toBeUndefined();
    expect(yearProblem(2100, range)).toBeUndefined();
    expect(yearProblem(1944, range)).toBe('year 1944 is outside 1945..2100');
    expect(yearProblem(0, range)).toBe('year 0 is outside 1945..2100');
    expect(yearProblem(2101, range)).toBe('year 2101 is outside 1945..2100');
  });
});

describe('control characters', () => {
  it('allows tab, line feed and carriage return, and refuses the other C0 controls and DEL', () => {
    expect(controlCharacterProblem('Kế hoạch\tnăm 2025\r\nsố 12')).toBeUndefined();
    expect(controlCharacterProblem('Tây Ninh')).toBeUndefined();
    // U+0080 is a C1 control, outside the rule (it is how some legacy encodings leak through, and PostgreSQL stores it).
    expect(controlCharacterProblem('a\u0080')).toBeUndefined();
    expect(controlCharacterProblem('ab\u0000')).toBe('contains the control character U+0000 at position 2 (only tab, line feed and carriage return are allowed)');
    expect(controlCharacterProblem('\u001b[31m')).toMatch(/U\+001B at position 0/);
    expect(controlCharacterProblem('x\u007f')).toMatch(/U\+007F at position 1/);
    expect(controlCharacterProblem('\u000b')).toMatch(/U\+000B/);
  });

  it('escapes them for messages', () => {
    expect(escapeControlCharacters('a\u0000b\tc\u007f')).toBe('a\\u0000b\tc\\u007f');
  });
});
