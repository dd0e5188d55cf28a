import { addMonths, blockStart, monthEnd, monthOf, monthsBetween } from '../../src/common/calendar';
import { periodOf } from '../../src/aggregates/aggregate.service';
import { PeriodGrain } from '../../src/aggregates/dimensions';

// The month rules the aggregates, the unit scope and the KPIs read (src/common/calendar.ts owns them).
describe('month arithmetic', () => {
  it('ends months, leap years included, from a month or any day of it', () => {
    expect(monthEnd('2024-02')).toBe('2024-02-29');
    expect(monthEnd('2025-02-01')).toBe('2025-02-28');
    expect(monthEnd('2024-12-15')).toBe('2024-12-31');
  });

  it('adds months across years, both ways, to a first day', () => {
    expect(addMonths('2024-11-01', 3)).toBe('2025-02-01');
    expect(addMonths('2025-01-01', -13)).toBe('2023-12-01');
    expect(addMonths('2025-07', 0)).toBe('2025-07-01');
  });

  it('counts months inclusively and finds the block a month is in', () => {
    expect(monthsBetween('2024-01', '2024-12')).toBe(12);
    expect(monthsBetween('2024-11-01', '2025-02-01')).toBe(4);
    expect(blockStart('2025-08', 3)).toBe('2025-07');
    expect(blockStart('2025-08', 12)).toBe('2025-01');
    expect(blockStart('2025-08', 1)).toBe('2025-08');
    expect(monthOf('2025-08-31')).toBe('2025-08');
  });

  it('labels and ends periods of each grain', () => {
    expect(periodOf(PeriodGrain.MONTH, '2024-02-01')).toEqual({ grain: PeriodGrain.MONTH, label: '2024-02', start: '2024-02-01', end: '2024-02-29' });
    expect(periodOf(PeriodGrain.QUARTER, '2025-07-01')).toEqual({ grain: PeriodGrain.QUARTER, label: '2025-Q3', start: '2025-07-01', end: '2025-09-30' });
    expect(periodOf(PeriodGrain.YEAR, '2025-01-01')).toEqual({ grain: PeriodGrain.YEAR, label: '2025', start: '2025-01-01', end: '2025-12-31' });
  });
});
