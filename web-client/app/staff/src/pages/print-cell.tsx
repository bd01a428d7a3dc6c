// A cell's monthly report on A4, for the cell meeting and the file: the month's coverage, each
// member's report with the self-rating and the cell's rating, the households not visited this
// month, and the open flags.

import { api, type Overview, type Table } from '../api';
import { dateVi, monthVi, num, pct, ratio } from '../format';
import { href } from '../route';
import { DataTable, Load, PrintButton, useLoad, type Loaded } from '../ui';

interface CellReport {
  overview: Overview;
  reports: Table;
  households: Table;
  flags: Table;
}

export function PrintCellPage({ unit, month }: { unit?: string; month?: string }) {
  const result: Loaded<CellReport> = useLoad(async () => {
    const [overview, reports, households, flags] = await Promise.all([
      api.overview(unit, month),
      api.table('reports', { unit, month }),
      api.table('households', { unit, month }),
      api.table('flags', { unit, month }),
    ]);
    return { overview, reports, households, flags };
  }, [unit, month]);
  return <Load result={result}>{(r) => <Report r={r} />}</Load>;
}

/** The households table cut down to those with no visit this month, as the server says. */
function notVisited(t: Table): Table {
  return { ...t, rows: t.rows.filter((r) => r.visited_this_month === false) };
}

function Report({ r }: { r: CellReport }) {
  const o = r.overview;
  const month = o.month;
  const unvisited = notVisited(r.households);
  return (
    <article class="printout" data-print="cell" data-unit={o.unit.id}>
      <div class="toolbar no-print">
        <a href={href.overview(o.unit.id, month)}>← Tổng quan chi bộ</a>
        <PrintButton />
      </div>
      <header class="doc-head">
        <p class="issuer">{o.breadcrumb.length > 1 ? o.breadcrumb[o.breadcrumb.length - 2].name : ''}</p>
        <p class="issuer">{o.unit.name}</p>
        <h1>Báo cáo tháng công tác phụ trách hộ, {monthVi(month)}</h1>
        <p class="muted">Số liệu đến ngày {dateVi(o.today)}</p>
      </header>

      <h2>Tỷ lệ hộ được thăm</h2>
      <p>
        Chi bộ có {num(o.coverage.households)} hộ, đã phân công đảng viên phụ trách {num(o.coverage.assigned)} hộ; trong{' '}
        {monthVi(month)} đã thăm {num(o.coverage.visited)} hộ, đạt <strong>{pct(ratio(o.coverage.visited, o.coverage.assigned))}</strong>. Chưa phân
        công {num(o.gaps.unassigned)} hộ; {num(o.gaps.not_visited)} hộ chưa được thăm từ {o.gaps.months} tháng trở lên.
      </p>

      <h2>Báo cáo tháng của đảng viên</h2>
      <p>
        Phải nộp {num(o.reports.due)}, đã nộp {num(o.reports.submitted)}, còn thiếu {num(o.reports.missing)}.
      </p>
      <DataTable table={r.reports} printable hide={['cell']} />

      <h2>Hộ chưa được thăm trong {monthVi(month)}</h2>
      <DataTable table={unvisited} printable hide={['household', 'cell', 'visited']} />

      <h2>Kiến nghị đang mở</h2>
      <DataTable table={r.flags} printable hide={['household', 'cell']} />

      <div class="signatures">
        <div>
          <p>
            <strong>Người lập</strong>
          </p>
        </div>
        <div>
          <p>
            <strong>T/M chi bộ</strong>
            <br />
            Bí thư
          </p>
        </div>
      </div>
    </article>
  );
}
