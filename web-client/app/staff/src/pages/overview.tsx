// The merged picture of one unit for one month: coverage for the unit and each child, the
// twelve-month trend, the counts staff act on (gaps, idle members, open flags, missing
// reports, members away), and the ratings. Every count opens its table; each child opens its
// own overview, down to a cell, where the households and the members' reports are listed.

import { api, type Overview, type UnitRef } from '../api';
import { monthVi, dateVi, num, pct, ratio } from '../format';
import { href } from '../route';
import { RatingHeatmap, TrendChart, Bar } from '../charts';
import { Breadcrumb, CountLink, DataTable, ExportLinks, Load, MonthPicker, useLoad } from '../ui';

/** Cells have no children in the overview; their households and members are listed instead. */
export function isCell(unit: UnitRef): boolean {
  return unit.kind === 'cell' || unit.kind === 'grassroots_cell';
}

export const TABLE_TITLES: Record<string, string> = {
  coverage: 'Tỷ lệ hộ được thăm',
  gaps: 'Hộ chưa phân công, chưa được thăm',
  idle_members: 'Đảng viên chưa phụ trách hộ',
  flags: 'Kiến nghị cần giải quyết',
  reports: 'Báo cáo tháng',
  missing_reports: 'Báo cáo còn thiếu',
  ratings: 'Tự nhận và chi bộ xếp loại',
  away: 'Đảng viên đi làm ăn xa, miễn sinh hoạt',
  households: 'Danh sách hộ',
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
            {o.unit.level_label} · {monthVi(month)} · số liệu đến ngày {dateVi(o.today)}
          </p>
        </div>
        <div class="toolbar no-print">
          <MonthPicker month={month} onPick={(m) => (location.hash = href.overview(unit, m))} />
          {cell ? (
            <a class="button secondary" href={href.printCell(unit, month)}>
              Báo cáo chi bộ (bản in)
            </a>
          ) : (
            <a class="button secondary" href={href.printDistrict(unit, month)}>
              Bản in tổng hợp
            </a>
          )}
        </div>
      </div>

      <div class="counts">
        <a class="count headline" href={t('coverage')} data-count="coverage">
          <span class="value">{pct(ratio(o.coverage.visited, o.coverage.assigned))}</span>
          <span class="label">
            tỷ lệ hộ được thăm: {num(o.coverage.visited)} / {num(o.coverage.assigned)} hộ đã phân công (tổng {num(o.coverage.households)} hộ)
          </span>
        </a>
        <CountLink label="hộ chưa phân công" value={o.gaps.unassigned} to={t('gaps')} table="gaps" alert />
        <CountLink label={`hộ chưa được thăm từ ${o.gaps.months} tháng trở lên`} value={o.gaps.not_visited} to={t('gaps')} table="gaps" alert />
        <CountLink label="đảng viên chưa phụ trách hộ" value={o.idle_members} to={t('idle_members')} table="idle_members" alert />
        <CountLink label="kiến nghị đang mở" value={o.flags.open} to={t('flags')} table="flags" alert />
        <CountLink
          label={`báo cáo còn thiếu (đã nộp ${num(o.reports.submitted)} / ${num(o.reports.due)})`}
          value={o.reports.missing}
          to={t('missing_reports')}
          table="missing_reports"
          alert
        />
        <CountLink label="đảng viên đi làm ăn xa" value={o.members.working_away} to={t('away')} table="away" />
        <CountLink label="đảng viên miễn sinh hoạt" value={o.members.exempt} to={t('away')} table="away" />
      </div>

      {o.children.length > 0 && (
        <section class="panel">
          <div class="panel-head">
            <h2>Tỷ lệ hộ được thăm {monthVi(month)}, theo đơn vị trực thuộc</h2>
            <span class="no-print">
              <a href={t('coverage')}>Bảng đầy đủ</a> <ExportLinks table="coverage" query={{ unit, month }} />
            </span>
          </div>
          <ChildrenTable o={o} />
        </section>
      )}

      <div class="two">
        <section class="panel">
          <h2>Hộ được thăm {o.trend.length} tháng qua</h2>
          <TrendChart points={o.trend} title={`Số hộ đã phân công và đã thăm mỗi tháng, ${o.trend.length} tháng đến ${monthVi(month)}`} />
        </section>
        <section class="panel">
          <h2>
            <a href={t('flags')}>Kiến nghị đang mở</a> theo thời gian
          </h2>
          <FlagAges o={o} />
          <h2>Báo cáo tháng</h2>
          <p>
            Phải nộp {num(o.reports.due)} · đã nộp {num(o.reports.submitted)} ({pct(ratio(o.reports.submitted, o.reports.due))}) ·{' '}
            <a href={t('missing_reports')}>còn thiếu {num(o.reports.missing)}</a> · <a href={t('reports')}>tất cả báo cáo</a>
          </p>
          <h2>Đảng viên</h2>
          <p>
            Tổng số {num(o.members.total)} · đang sinh hoạt {num(o.members.active)} ·{' '}
            <a href={t('away')}>
              đi làm ăn xa {num(o.members.working_away)} · miễn sinh hoạt {num(o.members.exempt)}
            </a>
          </p>
        </section>
      </div>

      <section class="panel">
        <div class="panel-head">
          <h2>Tự nhận xếp loại và chi bộ xếp loại, {monthVi(month)}</h2>
          <a class="no-print" href={t('ratings')}>
            Bảng đầy đủ
          </a>
        </div>
        <RatingHeatmap matrix={o.ratings} title={`Số báo cáo tháng theo mức tự nhận xếp loại và mức chi bộ xếp loại, ${monthVi(month)}`} />
      </section>

      {cell && <CellTables unit={unit} month={month} />}

      <section class="panel no-print">
        <h2>Các bảng</h2>
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
          <th scope="col">Đơn vị</th>
          <th scope="col" class="number">
            Số hộ
          </th>
          <th scope="col" class="number">
            Đã phân công
          </th>
          <th scope="col" class="number">
            Đã thăm
          </th>
          <th scope="col" class="percent">
            Tỷ lệ hộ được thăm
          </th>
          <th scope="col" class="number">
            Kiến nghị mở
          </th>
          <th scope="col" class="number">
            Báo cáo còn thiếu
          </th>
          <th scope="col" class="number">
            Đảng viên
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
          <th scope="col">Đã mở</th>
          <th scope="col" class="number">
            Đã báo cáo cấp trên
          </th>
          <th scope="col" class="number">
            Tổng đang mở
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
          <td>Tổng</td>
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
          <h2>Các hộ của chi bộ</h2>
          <ExportLinks table="households" query={{ unit, month }} />
        </div>
        <Load result={households}>{(t) => <DataTable table={t} month={month} />}</Load>
      </section>
      <section class="panel" data-section="reports">
        <div class="panel-head">
          <h2>Báo cáo tháng của đảng viên, {monthVi(month)}</h2>
          <ExportLinks table="reports" query={{ unit, month }} />
        </div>
        <Load result={reports}>{(t) => <DataTable table={t} month={month} />}</Load>
      </section>
    </>
  );
}
