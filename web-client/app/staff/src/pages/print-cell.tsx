// A cell's monthly report on A4, for the cell meeting and the file: the month's coverage, each
// member's report with the self-rating and the cell's rating, the households not visited this
// month, and the open flags.

import { api, type Overview, type Table } from '../api';
import { dateVi, monthVi, num, pct, ratio } from '../format';
import { href } from '../route';
import { DataTable, Load, PrintButton, useLoad, type Loaded } from '../ui';
import { tr } from '../i18n';

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
        <a href={href.overview(o.unit.id, month)}>{tr.backToCellOverview}</a>
        <PrintButton />
      </div>
      <header class="doc-head">
        <p class="issuer">{o.breadcrumb.length > 1 ? o.breadcrumb[o.breadcrumb.length - 2].name : ''}</p>
        <p class="issuer">{o.unit.name}</p>
        <h1>{tr.cellReportTitle(monthVi(month))}</h1>
        <p class="muted">{tr.figuresAsOf(dateVi(o.today))}</p>
      </header>

      <h2>{tr.tableCoverage}</h2>
      <p>
        {tr.cellCoverage(num(o.coverage.households), num(o.coverage.assigned), monthVi(month), num(o.coverage.visited))}
        <strong>{pct(ratio(o.coverage.visited, o.coverage.assigned))}</strong>
        {tr.cellGaps(num(o.gaps.unassigned), num(o.gaps.not_visited), o.gaps.months)}
      </p>

      <h2>{tr.membersReportsTitle}</h2>
      <p>
        {tr.reportsDue(num(o.reports.due), num(o.reports.submitted), num(o.reports.missing))}
      </p>
      <DataTable table={r.reports} printable hide={['cell']} />

      <h2>{tr.notVisitedIn(monthVi(month))}</h2>
      <DataTable table={unvisited} printable hide={['household', 'cell', 'visited']} />

      <h2>{tr.openFlagsLink}</h2>
      <DataTable table={r.flags} printable hide={['household', 'cell']} />

      <div class="signatures">
        <div>
          <p>
            <strong>{tr.preparedBy}</strong>
          </p>
        </div>
        <div>
          <p>
            <strong>{tr.forTheCell}</strong>
            <br />
            {tr.secretary}
          </p>
        </div>
      </div>
    </article>
  );
}
