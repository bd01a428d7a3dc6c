// The monthly summary of a district (or commune) on A4: the key figures, each child unit's
// coverage as a table and as bars, the twelve-month trend, open flags by age and the ratings.
// The screen shows the printout as it will come out; the print stylesheet drops the buttons.

import { api, type Overview } from '../api';
import { dateVi, monthVi, num, pct, ratio } from '../format';
import { href } from '../route';
import { CoverageBars, RatingHeatmap, TrendChart } from '../charts';
import { Load, PrintButton, useLoad } from '../ui';
import { ChildrenTable, FlagAges } from './overview';

export function PrintDistrictPage({ unit, month }: { unit?: string; month?: string }) {
  const result = useLoad(() => api.overview(unit, month), [unit, month]);
  return <Load result={result}>{(o) => <Summary o={o} />}</Load>;
}

function Summary({ o }: { o: Overview }) {
  const month = o.month;
  const figures: [string, string][] = [
    ['Tổng số hộ', num(o.coverage.households)],
    ['Hộ đã phân công đảng viên phụ trách', num(o.coverage.assigned)],
    ['Hộ đã được thăm trong tháng', num(o.coverage.visited)],
    ['Tỷ lệ hộ được thăm', pct(ratio(o.coverage.visited, o.coverage.assigned))],
    ['Hộ chưa phân công', num(o.gaps.unassigned)],
    [`Hộ chưa được thăm từ ${o.gaps.months} tháng trở lên`, num(o.gaps.not_visited)],
    ['Đảng viên chưa phụ trách hộ', num(o.idle_members)],
    ['Kiến nghị đang mở (đã báo cáo cấp trên)', `${num(o.flags.open)} (${num(o.flags.escalated)})`],
    ['Báo cáo tháng đã nộp / phải nộp', `${num(o.reports.submitted)} / ${num(o.reports.due)}`],
    ['Báo cáo còn thiếu', num(o.reports.missing)],
    ['Đảng viên (đi làm ăn xa, miễn sinh hoạt)', `${num(o.members.total)} (${num(o.members.working_away)}, ${num(o.members.exempt)})`],
  ];
  return (
    <article class="printout" data-print="district" data-unit={o.unit.id}>
      <div class="toolbar no-print">
        <a href={href.overview(o.unit.id, month)}>← Tổng quan</a>
        <PrintButton />
      </div>
      <header class="doc-head">
        <p class="issuer">{o.unit.name}</p>
        <h1>Báo cáo tổng hợp công tác phụ trách hộ, {monthVi(month)}</h1>
        <p class="muted">Số liệu đến ngày {dateVi(o.today)}</p>
      </header>

      <h2>Số liệu chính</h2>
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
          <h2>Tỷ lệ hộ được thăm theo đơn vị trực thuộc</h2>
          <ChildrenTable o={o} />
          <figure>
            <CoverageBars
              title={`Tỷ lệ hộ được thăm ${monthVi(month)} của từng đơn vị trực thuộc ${o.unit.name}`}
              rows={o.children.map((c) => ({
                label: c.name,
                value: ratio(c.visited, c.assigned),
                detail: `${num(c.visited)} / ${num(c.assigned)} hộ`,
              }))}
            />
          </figure>
        </>
      )}

      <h2>Hộ được thăm {o.trend.length} tháng qua</h2>
      <figure>
        <TrendChart points={o.trend} title={`Số hộ đã phân công và đã thăm mỗi tháng, ${o.trend.length} tháng đến ${monthVi(month)}`} />
      </figure>

      <h2>Kiến nghị đang mở theo thời gian</h2>
      <FlagAges o={o} />

      <h2>Tự nhận và chi bộ xếp loại</h2>
      <figure>
        <RatingHeatmap matrix={o.ratings} title={`Số báo cáo tháng theo mức tự nhận xếp loại và mức chi bộ xếp loại, ${monthVi(month)}`} />
      </figure>
    </article>
  );
}
