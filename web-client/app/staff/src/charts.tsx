// Charts drawn as SVG, small enough to read whole: a bar for one rate, coverage bars for a
// unit's children, the twelve-month trend, and the self-rating against cell-rating heatmap.
// Each has a <title> and a <desc> so that a screen reader (and a printout) says what it shows;
// sizes are in viewBox units so a chart scales to its box on screen and on A4.

import { useId } from 'preact/hooks';
import type { RatingMatrix, TrendPoint } from './api';
import { monthShort, monthVi, num, pct, ratio } from './format';
import { tr } from './i18n';

/** Ids that tie a chart to its title and description, unique on the page. */
function ids(): { title: string; desc: string } {
  const id = useId();
  return { title: `${id}-title`, desc: `${id}-desc` };
}

const RED = '#b71c1c';
const PALE = '#f3c7c7';
const GRID = '#e0e0e0';
const MUTED = '#5f6368';

/** One rate as a short bar, beside its number in a table row. */
export function Bar({ value }: { value: number | null }) {
  const w = Math.max(0, Math.min(1, value ?? 0)) * 100;
  return (
    <svg class="bar" viewBox="0 0 100 10" preserveAspectRatio="none" width="80" height="10" aria-hidden="true">
      <rect x="0" y="0" width="100" height="10" fill={GRID} />
      <rect x="0" y="0" width={w} height="10" fill={RED} />
    </svg>
  );
}

export interface BarRow {
  label: string;
  value: number | null;
  detail?: string;
}

/** Horizontal bars, one per child unit, with the rate written at the end of each. */
export function CoverageBars({ rows, title }: { rows: BarRow[]; title: string }) {
  const id = ids();
  const rowH = 22;
  const labelW = 230;
  const barW = 380;
  const height = rows.length * rowH + 10;
  return (
    <svg class="chart coverage-bars" viewBox={`0 0 ${labelW + barW + 70} ${height}`} role="img" aria-labelledby={`${id.title} ${id.desc}`}>
      <title id={id.title}>{title}</title>
      <desc id={id.desc}>{rows.map((r) => `${r.label}: ${pct(r.value)}`).join('; ')}</desc>
      {rows.map((r, i) => {
        const y = 5 + i * rowH;
        const w = Math.max(0, Math.min(1, r.value ?? 0)) * barW;
        return (
          <g>
            <title>{`${r.label}: ${pct(r.value)}${r.detail ? ` (${r.detail})` : ''}`}</title>
            <text x={labelW - 8} y={y + 14} text-anchor="end" font-size="12">
              {r.label.length > 34 ? `${r.label.slice(0, 33)}…` : r.label}
            </text>
            <rect x={labelW} y={y + 3} width={barW} height={rowH - 8} fill={GRID} />
            <rect x={labelW} y={y + 3} width={w} height={rowH - 8} fill={RED} />
            <text x={labelW + barW + 6} y={y + 14} font-size="12">
              {pct(r.value, true)}
            </text>
          </g>
        );
      })}
    </svg>
  );
}

/**
 * Twelve months side by side: the households assigned (pale) and those visited (red) each
 * month, with the coverage rate above each pair.
 */
export function TrendChart({ points, title }: { points: TrendPoint[]; title: string }) {
  const id = ids();
  const W = 720;
  const H = 236;
  const left = 48;
  const bottom = 28;
  // Room above the tallest bar for its rate, and above that for the legend.
  const top = 38;
  const plotH = H - top - bottom;
  const max = Math.max(1, ...points.map((p) => Math.max(p.assigned, p.visited)));
  const step = (W - left - 10) / Math.max(1, points.length);
  const barW = Math.min(24, step / 2 - 2);
  const y = (v: number) => top + plotH - (v / max) * plotH;
  const ticks = [0, 0.5, 1].map((f) => Math.round(max * f));
  return (
    <svg class="chart trend" viewBox={`0 0 ${W} ${H}`} role="img" aria-labelledby={`${id.title} ${id.desc}`}>
      <title id={id.title}>{title}</title>
      <desc id={id.desc}>
        {points.map((p) => tr.trendDesc(monthVi(p.month), num(p.visited), num(p.assigned))).join('; ')}
      </desc>
      {ticks.map((t) => (
        <g>
          <line x1={left} x2={W - 10} y1={y(t)} y2={y(t)} stroke={GRID} />
          <text x={left - 6} y={y(t) + 4} text-anchor="end" font-size="11" fill={MUTED}>
            {num(t)}
          </text>
        </g>
      ))}
      {points.map((p, i) => {
        const x = left + i * step + step / 2;
        return (
          <g data-month={p.month}>
            <title>{tr.trendTip(monthVi(p.month), num(p.visited), num(p.assigned), pct(ratio(p.visited, p.assigned)))}</title>
            <rect x={x - barW - 1} y={y(p.assigned)} width={barW} height={top + plotH - y(p.assigned)} fill={PALE} />
            <rect x={x + 1} y={y(p.visited)} width={barW} height={top + plotH - y(p.visited)} fill={RED} />
            <text x={x} y={Math.min(y(p.assigned), y(p.visited)) - 4} text-anchor="middle" font-size="10" fill={MUTED}>
              {pct(ratio(p.visited, p.assigned), true)}
            </text>
            <text x={x} y={H - bottom + 16} text-anchor="middle" font-size="11">
              {monthShort(p.month)}
            </text>
          </g>
        );
      })}
      <g font-size="11">
        <rect x={W - 250} y={4} width={10} height={10} fill={PALE} />
        <text x={W - 236} y={13}>
          {tr.legendAssigned}
        </text>
        <rect x={W - 120} y={4} width={10} height={10} fill={RED} />
        <text x={W - 106} y={13}>
          {tr.legendVisited}
        </text>
      </g>
    </svg>
  );
}

const SHORT: Record<string, string> = tr.ratingShort;

/**
 * The month's reports counted by the member's self-rating (rows) against the cell's rating
 * (columns); the diagonal is where the two agree. Darker cells hold more reports.
 */
export function RatingHeatmap({ matrix, title }: { matrix: RatingMatrix; title: string }) {
  const id = ids();
  const rowsL = [...matrix.levels.map((l) => l.label), tr.noSelfRating];
  const colsL = [...matrix.levels.map((l) => l.label), tr.noCellRating];
  const short = (i: number, rows: boolean) => {
    const level = matrix.levels[i];
    if (level) return SHORT[level.code] ?? level.label;
    return rows ? tr.noSelfRating : tr.notRated;
  };
  const cellW = 104;
  const cellH = 34;
  const left = 130;
  const top = 40;
  const max = Math.max(1, ...matrix.counts.flat());
  const W = left + colsL.length * cellW + 4;
  const H = top + rowsL.length * cellH + 4;
  return (
    <svg class="chart heatmap" viewBox={`0 0 ${W} ${H}`} role="img" aria-labelledby={`${id.title} ${id.desc}`}>
      <title id={id.title}>{title}</title>
      <desc id={id.desc}>
        {rowsL
          .flatMap((r, i) => colsL.map((c, j) => ({ r, c, n: matrix.counts[i]?.[j] ?? 0 })))
          .filter((x) => x.n > 0)
          .map((x) => tr.heatDesc(x.r, x.c, num(x.n)))
          .join('; ')}
      </desc>
      <text x={left + (colsL.length * cellW) / 2} y={12} text-anchor="middle" font-size="11" fill={MUTED}>
        {tr.cellAxis}
      </text>
      {colsL.map((_, j) => (
        <text x={left + j * cellW + cellW / 2} y={top - 8} text-anchor="middle" font-size="11">
          {short(j, false)}
        </text>
      ))}
      {rowsL.map((rowLabel, i) => (
        <g>
          <text x={left - 6} y={top + i * cellH + cellH / 2 + 4} text-anchor="end" font-size="11">
            {short(i, true)}
          </text>
          {colsL.map((colLabel, j) => {
            const n = matrix.counts[i]?.[j] ?? 0;
            const shade = n === 0 ? 0 : 0.12 + 0.88 * (n / max);
            return (
              <g data-self={i} data-cell={j}>
                <title>{tr.heatTip(rowLabel, colLabel, num(n))}</title>
                <rect
                  x={left + j * cellW}
                  y={top + i * cellH}
                  width={cellW - 2}
                  height={cellH - 2}
                  fill={n === 0 ? '#f5f5f5' : RED}
                  fill-opacity={n === 0 ? 1 : shade}
                  stroke={i === j ? '#424242' : 'none'}
                />
                <text
                  x={left + j * cellW + cellW / 2 - 1}
                  y={top + i * cellH + cellH / 2 + 4}
                  text-anchor="middle"
                  font-size="12"
                  fill={shade > 0.55 ? '#fff' : '#1a1a1a'}
                >
                  {num(n)}
                </text>
              </g>
            );
          })}
        </g>
      ))}
      <text x={4} y={top - 8} font-size="11" fill={MUTED}>
        {tr.selfAxis}
      </text>
    </svg>
  );
}
