// The merged picture of one unit for one month: coverage for the unit and each child, the
// twelve-month trend, the counts staff act on (gaps, idle members, open flags, missing
// reports, members away), and the ratings. Every count opens its table; each child opens its
// own overview, down to a cell, where the households and the members' reports are listed.

import { api, type Overview, type UnitRef } from '../api';
import { monthVi, dateVi, num, pct, ratio } from '../format';
import { href } from '../route';
import { RatingHeatmap, TrendChart, Bar } from '../charts';
import { Breadcrumb, CountLink, DataTable, ExportLinks, Load, MonthPicker, useLoad } from '../ui';
import { tr } from '../i18n';

/** Cells have no children in the overview; their households and members are listed instead. */
export function isCell(unit: UnitRef): boolean {
  return unit.kind === 'cell' || unit.kind === 'grassroots_cell';
}

export const TABLE_TITLES: Record<string, string> = {
  coverage: tr.tableCoverage,
  gaps: tr.tableGaps,
  idle_members: tr.tableIdle,
  flags: tr.tableFlags,
  reports: tr.tableReports,
  missing_reports: tr.tableMissing,
  ratings: tr.tableRatings,
  away: tr.tableAway,
  households: tr.tableHouseholds,
};

export function OverviewPage({ unit, month }: { unit?: string; month?: string }) {
  const result = useLoad(() => api.overview(unit, month), [unit, month]);
  return <Load result={result}>{(o) => <OverviewView o={o} />}</Load>;
}

function OverviewView({ o }: { o: Overview }) {
  const unit = o.unit.id;
  const month = o.month;
  const t = (table: string) => href.table(table, { unit, month });
  const cell = isCell(o.unit);
  return (
    <section class="overview" data-unit={unit} data-month={month}>
      <Breadcrumb units={o.breadcrumb.length ? o.breadcrumb : [o.unit]} month={month} />
      <div class="title-row">
        <div>
          <h1>{o.unit.name}</h1>
          <p class="muted">
            {o.unit.level_label} · {monthVi(month)} · {tr.figuresTo(dateVi(o.today))}
          </p>
        </div>
        <div class="toolbar no-print">
          <MonthPicker month={month} onPick={(m) => (location.hash = href.overview(unit, m))} />
          {cell ? (
            <a class="button secondary" href={href.printCell(unit, month)}>
              {tr.printCell}
            </a>
          ) : (
            <a class="button secondary" href={href.printDistrict(unit, month)}>
              {tr.printDistrict}
            </a>
          )}
        </div>
      </div>

      <div class="counts">
        <a class="count headline" href={t('coverage')} data-count="coverage">
          <span class="value">{pct(ratio(o.coverage.visited, o.coverage.assigned))}</span>
          <span class="label">
            {tr.coverageHeadline(num(o.coverage.visited), num(o.coverage.assigned), num(o.coverage.households))}
          </span>
        </a>
        <CountLink label={tr.unassigned} value={o.gaps.unassigned} to={t('gaps')} table="gaps" alert />
        <CountLink label={tr.notVisitedFor(o.gaps.months)} value={o.gaps.not_visited} to={t('gaps')} table="gaps" alert />
        <CountLink label={tr.idleMembers} value={o.idle_members} to={t('idle_members')} table="idle_members" alert />
        <CountLink label={tr.openFlags} value={o.flags.open} to={t('flags')} table="flags" alert />
        <CountLink
          label={tr.missingReports(num(o.reports.submitted), num(o.reports.due))}
          value={o.reports.missing}
          to={t('missing_reports')}
          table="missing_reports"
          alert
        />
        <CountLink label={tr.workingAway} value={o.members.working_away} to={t('away')} table="away" />
        <CountLink label={tr.exempt} value={o.members.exempt} to={t('away')} table="away" />
      </div>

      {o.children.length > 0 && (
        <section class="panel">
          <div class="panel-head">
            <h2>{tr.coverageByChild(monthVi(month))}</h2>
            <span class="no-print">
              <a href={t('coverage')}>{tr.fullTable}</a> <ExportLinks table="coverage" query={{ unit, month }} />
            </span>
          </div>
          <ChildrenTable o={o} />
        </section>
      )}

      <div class="two">
        <section class="panel">
          <h2>{tr.visitedMonths(o.trend.length)}</h2>
          <TrendChart points={o.trend} title={tr.trendTitle(o.trend.length, monthVi(month))} />
        </section>
        <section class="panel">
          <h2>
            <a href={t('flags')}>{tr.openFlagsLink}</a>
            {tr.byAge}
          </h2>
          <FlagAges o={o} />
          <h2>{tr.monthlyReports}</h2>
          <p>
            {tr.reportsLine(num(o.reports.due), num(o.reports.submitted), pct(ratio(o.reports.submitted, o.reports.due)))}
            <a href={t('missing_reports')}>{tr.stillMissing(num(o.reports.missing))}</a> · <a href={t('reports')}>{tr.allReports}</a>
          </p>
          <h2>{tr.members}</h2>
          <p>
            {tr.membersLine(num(o.members.total), num(o.members.active))}
            <a href={t('away')}>{tr.awayLine(num(o.members.working_away), num(o.members.exempt))}</a>
          </p>
        </section>
      </div>

      <section class="panel">
        <div class="panel-head">
          <h2>{tr.ratingsTitle(monthVi(month))}</h2>
          <a class="no-print" href={t('ratings')}>
            {tr.fullTable}
          </a>
        </div>
        <RatingHeatmap matrix={o.ratings} title={tr.ratingsChart(monthVi(month))} />
      </section>

      {cell && <CellTables unit={unit} month={month} />}

      <section class="panel no-print">
        <h2>{tr.tables}</h2>
        <ul class="table-links">
          {Object.entries(TABLE_TITLES).map(([name, title]) => (
            <li>
              <a href={t(name)} data-table-link={name}>
                {title}
              </a>
            </li>
          ))}
        </ul>
      </section>
    </section>
  );
}

/** The unit's children with a bar each; a child's name opens its own overview. */
export function ChildrenTable({ o }: { o: Overview }) {
  return (
    <table class="children">
      <thead>
        <tr>
          <th scope="col">{tr.unit}</th>
          <th scope="col" class="number">
            {tr.households}
          </th>
          <th scope="col" class="number">
            {tr.assigned}
          </th>
          <th scope="col" class="number">
            {tr.visited}
          </th>
          <th scope="col" class="percent">
            {tr.tableCoverage}
          </th>
          <th scope="col" class="number">
            {tr.openFlagsShort}
          </th>
          <th scope="col" class="number">
            {tr.tableMissing}
          </th>
          <th scope="col" class="number">
            {tr.members}
          </th>
        </tr>
      </thead>
      <tbody>
        {o.children.map((c) => {
          const rate = ratio(c.visited, c.assigned);
          return (
            <tr data-unit={c.id}>
              <td>
                <a href={href.overview(c.id, o.month)} data-unit={c.id}>
                  {c.name}
                </a>
              </td>
              <td class="number">{num(c.households)}</td>
              <td class="number">{num(c.assigned)}</td>
              <td class="number">{num(c.visited)}</td>
              <td class="percent">
                <span class="with-bar">
                  <Bar value={rate} />
                  {pct(rate)}
                </span>
              </td>
              <td class="number">{num(c.open_flags)}</td>
              <td class="number">{num(c.missing_reports)}</td>
              <td class="number">{num(c.members)}</td>
            </tr>
          );
        })}
      </tbody>
    </table>
  );
}

/** Open flags by how long they have waited; those already escalated come first. */
export function FlagAges({ o }: { o: Overview }) {
  return (
    <table class="flag-ages">
      <thead>
        <tr>
          <th scope="col">{tr.openedFor}</th>
          <th scope="col" class="number">
            {tr.escalated}
          </th>
          <th scope="col" class="number">
            {tr.openTotal}
          </th>
        </tr>
      </thead>
      <tbody>
        {o.flags.by_age.map((a) => (
          <tr>
            <td>{a.label}</td>
            <td class="number">{num(a.escalated)}</td>
            <td class="number">{num(a.open)}</td>
          </tr>
        ))}
        <tr class="total">
          <td>{tr.total}</td>
          <td class="number">{num(o.flags.escalated)}</td>
          <td class="number">{num(o.flags.open)}</td>
        </tr>
      </tbody>
    </table>
  );
}

/** At a cell: its households and its members' reports for the month, as the tables show them. */
function CellTables({ unit, month }: { unit: string; month: string }) {
  const households = useLoad(() => api.table('households', { unit, month }), [unit, month]);
  const reports = useLoad(() => api.table('reports', { unit, month }), [unit, month]);
  return (
    <>
      <section class="panel" data-section="households">
        <div class="panel-head">
          <h2>{tr.cellHouseholds}</h2>
          <ExportLinks table="households" query={{ unit, month }} />
        </div>
        <Load result={households}>{(t) => <DataTable table={t} month={month} />}</Load>
      </section>
      <section class="panel" data-section="reports">
        <div class="panel-head">
          <h2>{tr.membersReports(monthVi(month))}</h2>
          <ExportLinks table="reports" query={{ unit, month }} />
        </div>
        <Load result={reports}>{(t) => <DataTable table={t} month={month} />}</Load>
      </section>
    </>
  );
}
