// The monthly summary of a district (or commune) on A4: the key figures, each child unit's
// coverage as a table and as bars, the twelve-month trend, open flags by age and the ratings.
// The screen shows the printout as it will come out; the print stylesheet drops the buttons.

import { api, type Overview } from '../api';
import { dateVi, monthVi, num, pct, ratio } from '../format';
import { href } from '../route';
import { CoverageBars, RatingHeatmap, TrendChart } from '../charts';
import { Load, PrintButton, useLoad } from '../ui';
import { ChildrenTable, FlagAges } from './overview';
import { tr } from '../i18n';

export function PrintDistrictPage({ unit, month }: { unit?: string; month?: string }) {
  const result = useLoad(() => api.overview(unit, month), [unit, month]);
  return <Load result={result}>{(o) => <Summary o={o} />}</Load>;
}

function Summary({ o }: { o: Overview }) {
  const month = o.month;
  const figures: [string, string][] = [
    [tr.totalHouseholds, num(o.coverage.households)],
    [tr.assignedHouseholds, num(o.coverage.assigned)],
    [tr.visitedInMonth, num(o.coverage.visited)],
    [tr.tableCoverage, pct(ratio(o.coverage.visited, o.coverage.assigned))],
    [tr.unassignedHouseholds, num(o.gaps.unassigned)],
    [tr.notVisitedForCap(o.gaps.months), num(o.gaps.not_visited)],
    [tr.tableIdle, num(o.idle_members)],
    [tr.openEscalated, `${num(o.flags.open)} (${num(o.flags.escalated)})`],
    [tr.reportsSubmittedDue, `${num(o.reports.submitted)} / ${num(o.reports.due)}`],
    [tr.tableMissing, num(o.reports.missing)],
    [tr.membersAwayExempt, `${num(o.members.total)} (${num(o.members.working_away)}, ${num(o.members.exempt)})`],
  ];
  return (
    <article class="printout" data-print="district" data-unit={o.unit.id}>
      <div class="toolbar no-print">
        <a href={href.overview(o.unit.id, month)}>← {tr.navOverview}</a>
        <PrintButton />
      </div>
      <header class="doc-head">
        <p class="issuer">{o.unit.name}</p>
        <h1>{tr.districtReportTitle(monthVi(month))}</h1>
        <p class="muted">{tr.figuresAsOf(dateVi(o.today))}</p>
      </header>

      <h2>{tr.keyFigures}</h2>
      <table class="figures">
        <tbody>
          {figures.map(([label, value]) => (
            <tr>
              <th scope="row">{label}</th>
              <td class="number">{value}</td>
            </tr>
          ))}
        </tbody>
      </table>

      {o.children.length > 0 && (
        <>
          <h2>{tr.coverageByChildTitle}</h2>
          <ChildrenTable o={o} />
          <figure>
            <CoverageBars
              title={tr.coverageBarsTitle(monthVi(month), o.unit.name)}
              rows={o.children.map((c) => ({
                label: c.name,
                value: ratio(c.visited, c.assigned),
                detail: tr.householdsOf(num(c.visited), num(c.assigned)),
              }))}
            />
          </figure>
        </>
      )}

      <h2>{tr.visitedMonths(o.trend.length)}</h2>
      <figure>
        <TrendChart points={o.trend} title={tr.trendTitle(o.trend.length, monthVi(month))} />
      </figure>

      <h2>
        {tr.openFlagsLink}
        {tr.byAge}
      </h2>
      <FlagAges o={o} />

      <h2>{tr.tableRatings}</h2>
      <figure>
        <RatingHeatmap matrix={o.ratings} title={tr.ratingsChart(monthVi(month))} />
      </figure>
    </article>
  );
}
