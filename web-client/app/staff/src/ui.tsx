// Pieces every page uses: loading an API answer with its error, the refusal and error lines,
// the breadcrumb, the month picker, the export links, the print button and the table view.

import type { ComponentChildren } from 'preact';
import { useEffect, useMemo, useState } from 'preact/hooks';
import { ApiError, type Cell, type Column, type Table, type TableQuery, type UnitRef, tableUrl } from './api';
import { dateVi, fold, monthOf, monthVi, num, pct } from './format';
import { href } from './route';
import { Bar } from './charts';
import { tr } from './i18n';

export type Loaded<T> = { state: 'loading' } | { state: 'error'; error: unknown } | { state: 'ok'; data: T };

/** Runs `load` whenever `deps` change; an answer that arrives after newer deps is dropped. */
export function useLoad<T>(load: () => Promise<T>, deps: unknown[]): Loaded<T> {
  const [result, setResult] = useState<Loaded<T>>({ state: 'loading' });
  useEffect(() => {
    let current = true;
    setResult({ state: 'loading' });
    load().then(
      (data) => current && setResult({ state: 'ok', data }),
      (error) => current && setResult({ state: 'error', error }),
    );
    return () => {
      current = false;
    };
  }, deps);
  return result;
}

/** What the page shows while loading or when the server said no; the data otherwise. */
export function Load<T>({ result, children }: { result: Loaded<T>; children: (data: T) => ComponentChildren }) {
  if (result.state === 'loading') return <p class="loading" aria-busy="true">{tr.loading}</p>;
  if (result.state === 'error') return <ErrorView error={result.error} />;
  return <>{children(result.data)}</>;
}

export function ErrorView({ error }: { error: unknown }) {
  const status = error instanceof ApiError ? error.status : -1;
  const said = error instanceof Error ? error.message : String(error);
  const what =
    {
      0: tr.noServer,
      400: tr.badRequest,
      401: tr.sessionEnded,
      403: tr.forbidden,
      // The server answers alike what does not exist and what lies outside the account's scope.
      404: tr.notFound,
    }[status] ?? tr.serverFailed;
  return (
    <div class={`refusal${status === 403 ? ' forbidden' : ''}`} role="alert" data-status={status}>
      <p>
        <strong>{what}</strong>
      </p>
      {said && said !== what && <p class="muted server-message">
          {tr.serverSaid} {said}
        </p>}
      <p>
        <a href={href.overview()}>{tr.toOverview}</a>
      </p>
    </div>
  );
}

export function Breadcrumb({ units, month, last }: { units: UnitRef[]; month?: string; last?: string }) {
  return (
    <nav class="breadcrumb" aria-label={tr.breadcrumb}>
      {units.map((u, i) => (
        <span>
          {i > 0 && ' › '}
          {i === units.length - 1 && !last ? (
            <span aria-current="page">{u.name}</span>
          ) : (
            <a href={href.overview(u.id, month)} data-unit={u.id}>
              {u.name}
            </a>
          )}
        </span>
      ))}
      {last && (
        <span>
          {units.length > 0 && ' › '}
          <span aria-current="page">{last}</span>
        </span>
      )}
    </nav>
  );
}

function shiftMonth(month: string, by: number): string {
  const [y, m] = month.split('-').map(Number);
  const i = y * 12 + (m - 1) + by;
  return `${Math.floor(i / 12)}-${String((i % 12) + 1).padStart(2, '0')}`;
}

/**
 * The month looked at: the previous and next month, or any of the last three years, written
 * "tháng 11/2026" (a browser's own month input writes it in the browser's language). The
 * choice goes into the address, so that back and forward keep it.
 */
export function MonthPicker({ month, onPick }: { month: string; onPick: (month: string) => void }) {
  const now = monthOf();
  const latest = month > now ? month : now;
  const months = Array.from({ length: 36 }, (_, i) => shiftMonth(latest, -i));
  if (!months.includes(month)) months.push(month);
  return (
    <span class="month-picker no-print">
      <button class="secondary" aria-label={tr.prevMonth} onClick={() => onPick(shiftMonth(month, -1))}>
        ‹
      </button>
      <select name="month" aria-label={tr.month} value={month} onChange={(e) => onPick((e.target as HTMLSelectElement).value)}>
        {months.map((m) => (
          <option value={m}>{monthVi(m)}</option>
        ))}
      </select>
      <button class="secondary" aria-label={tr.nextMonth} disabled={month >= latest} onClick={() => onPick(shiftMonth(month, 1))}>
        ›
      </button>
    </span>
  );
}

export function ExportLinks({ table, query }: { table: string; query: TableQuery }) {
  return (
    <span class="exports no-print">
      <a class="button secondary" href={tableUrl(table, query, 'xlsx')} download data-format="xlsx">
        {tr.exportExcel}
      </a>
      <a class="button secondary" href={tableUrl(table, query, 'csv')} download data-format="csv">
        {tr.exportCsv}
      </a>
    </span>
  );
}

/** Heard by the tables: every row is about to be printed, not only the first page of them. */
const SHOW_ALL = 'hosync-show-all';

export function PrintButton() {
  return (
    <button
      class="no-print"
      onClick={() => {
        dispatchEvent(new Event(SHOW_ALL));
        // Preact renders the rows just shown on its next tick; the print dialog waits for them.
        setTimeout(() => print(), 50);
      }}
    >
      {tr.print}
    </button>
  );
}

/** A count that opens its table, as each figure on the overview does. */
export function CountLink(props: { label: string; value: number; to: string; table: string; alert?: boolean }) {
  return (
    <a class={`count${props.alert && props.value > 0 ? ' alert' : ''}`} href={props.to} data-count={props.table}>
      <span class="value">{num(props.value)}</span>
      <span class="label">{props.label}</span>
    </a>
  );
}

function shown(value: Cell | undefined, kind: Column['kind']): string {
  if (value === null || value === undefined || value === '') return '—';
  if (typeof value === 'boolean') return value ? tr.yes : tr.no;
  switch (kind) {
    case 'number':
      return typeof value === 'number' ? num(value) : value;
    case 'percent':
      return typeof value === 'number' ? pct(value) : value;
    case 'date':
      return dateVi(String(value));
    default:
      return String(value);
  }
}

function compare(a: Cell | undefined, b: Cell | undefined): number {
  if (a === b) return 0;
  if (a === null || a === undefined || a === '') return 1;
  if (b === null || b === undefined || b === '') return -1;
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  return String(a).localeCompare(String(b), 'vi');
}

/** The first of `keys` (in that order of preference) that the table has as a column. */
function firstKey(columns: Column[], keys: string[]): string | undefined {
  return keys.find((k) => columns.some((c) => c.key === k));
}

/**
 * Which column of a row links where: the household's head (else its id) to the household's
 * page, and the unit or cell column to that unit's overview.
 */
function linkColumns(columns: Column[]): { household?: string; unit?: string } {
  return {
    household: firstKey(columns, ['head', 'household']),
    unit: firstKey(columns, ['unit', 'cell', 'commune']),
  };
}

const PAGE = 300;

/**
 * A table from `/tables/…`: typed cells, sorting by a column, a filter that ignores
 * diacritics, and the rows shown a few hundred at a time so a district's households stay quick.
 */
export function DataTable(props: { table: Table; month?: string; printable?: boolean; hide?: string[] }) {
  const { table, month, printable = false, hide = [] } = props;
  const columns = table.columns.filter((c) => !hide.includes(c.key));
  const [sort, setSort] = useState<{ key: string; up: boolean } | null>(null);
  const [filter, setFilter] = useState('');
  const [limit, setLimit] = useState(printable ? Infinity : PAGE);
  useEffect(() => {
    const showAll = () => setLimit(Infinity);
    addEventListener(SHOW_ALL, showAll);
    // The browser's own print command too, though its layout may come before the render.
    addEventListener('beforeprint', showAll);
    return () => {
      removeEventListener(SHOW_ALL, showAll);
      removeEventListener('beforeprint', showAll);
    };
  }, []);
  const links = linkColumns(columns);
  const rows = useMemo(() => {
    const wanted = fold(filter.trim());
    let rows = wanted
      ? table.rows.filter((r) => table.columns.some((c) => fold(String(r[c.key] ?? '')).includes(wanted)))
      : table.rows;
    if (sort) {
      rows = [...rows].sort((a, b) => (sort.up ? 1 : -1) * compare(a[sort.key], b[sort.key]));
    }
    return rows;
  }, [table, filter, sort]);
  const cell = (row: Record<string, Cell>, c: Column) => {
    const text = shown(row[c.key], c.kind);
    const household = row.household_id;
    const unit = row.unit_id;
    if (household && c.key === links.household) {
      return <a href={href.household(String(household))}>{text}</a>;
    }
    if (unit && c.key === links.unit) {
      return (
        <a href={href.overview(String(unit), month)} data-unit={String(unit)}>
          {text}
        </a>
      );
    }
    if (c.kind === 'percent' && typeof row[c.key] === 'number') {
      return (
        <span class="with-bar">
          <Bar value={row[c.key] as number} />
          {text}
        </span>
      );
    }
    return text;
  };
  return (
    <div class="data-table" data-table={table.table}>
      {!printable && table.rows.length > 10 && (
        <label class="filter no-print">
          {tr.filter}
          <input type="search" value={filter} placeholder={tr.filterHint} onInput={(e) => setFilter((e.target as HTMLInputElement).value)} />
        </label>
      )}
      <table>
        <thead>
          <tr>
            {columns.map((c) => (
              <th class={c.kind} scope="col" aria-sort={sort?.key === c.key ? (sort.up ? 'ascending' : 'descending') : undefined}>
                {printable ? (
                  c.label
                ) : (
                  <button class="sort" onClick={() => setSort({ key: c.key, up: sort?.key === c.key ? !sort.up : true })}>
                    {c.label}
                    {sort?.key === c.key ? (sort.up ? ' ▲' : ' ▼') : ''}
                  </button>
                )}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {rows.slice(0, limit).map((row) => (
            <tr data-household={row.household_id ?? undefined} data-unit={row.unit_id ?? undefined}>
              {columns.map((c) => (
                <td class={c.kind}>{cell(row, c)}</td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
      {rows.length === 0 && <p class="muted empty">{tr.noRows(filter !== '')}</p>}
      {rows.length > limit && (
        <p class="no-print">
          {tr.showing(num(limit), num(rows.length))}{' '}
          <button class="link" onClick={() => setLimit(Infinity)}>
            {tr.showAll}
          </button>
        </p>
      )}
      <p class="muted row-count">
        {tr.rows(num(rows.length))}
        {month ? ` · ${monthVi(month)}` : ''}
      </p>
    </div>
  );
}
