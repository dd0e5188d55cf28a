import { useMemo, useState } from 'react';

/**
 * Sortable tables of the page (the ranked table, the 766 index): one rule for every column. Names
 * sort by the reader's language; figures sort with the rows without one last whichever the
 * direction (they are not "lowest"), ties by unit code so the order is stable.
 */
export interface Sort<K extends string> {
  key: K;
  descending: boolean;
}

export function sortRows<T, K extends string>(
  rows: readonly T[],
  sort: Sort<K>,
  how: { name: (r: T) => string; code: (r: T) => string; figure: (key: K, r: T) => number | null; nameKey: K },
  locale: string,
): T[] {
  const sign = sort.descending ? -1 : 1;
  return [...rows].sort((a, b) => {
    if (sort.key === how.nameKey) return sign * how.name(a).localeCompare(how.name(b), locale);
    const x = how.figure(sort.key, a);
    const y = how.figure(sort.key, b);
    if (x === null || y === null) return Number(x === null) - Number(y === null) || how.code(a).localeCompare(how.code(b));
    return sign * (x - y || how.code(a).localeCompare(how.code(b)));
  });
}

/**
 * The sort state and the rows in its order. A click on the active column turns it round; a new
 * column starts descending when `descendingFirst` says so (values: the highest first).
 */
export function useSortedRows<T, K extends string>(
  rows: readonly T[],
  initial: Sort<K>,
  how: Parameters<typeof sortRows<T, K>>[2] & { descendingFirst: (k: K) => boolean },
  locale: string,
): { sorted: T[]; sort: Sort<K>; onSort: (k: K) => void } {
  const [sort, setSort] = useState<Sort<K>>(initial);
  // `how` is a set of pure functions of the row: only the rows, the sort and the locale change the order.
  // eslint-disable-next-line react-hooks/exhaustive-deps
  const sorted = useMemo(() => sortRows(rows, sort, how, locale), [rows, sort, locale]);
  const onSort = (key: K) => setSort((s) => ({ key, descending: s.key === key ? !s.descending : how.descendingFirst(key) }));
  return { sorted, sort, onSort };
}

/** A column header that sorts: a button inside the th, aria-sort on the th. */
export function SortHeader<K extends string>({ label, k, sort, onSort, rowSpan, className }: {
  label: string;
  k: K;
  sort: Sort<K>;
  onSort: (k: K) => void;
  rowSpan?: number;
  className?: string;
}) {
  const active = sort.key === k;
  return (
    <th scope="col" rowSpan={rowSpan} className={className} data-sort={k} aria-sort={active ? (sort.descending ? 'descending' : 'ascending') : 'none'}>
      <button type="button" className="dvc-sort" onClick={() => onSort(k)}>
        {label}
        <span aria-hidden="true">{active ? (sort.descending ? ' ▼' : ' ▲') : ' ↕'}</span>
      </button>
    </th>
  );
}
