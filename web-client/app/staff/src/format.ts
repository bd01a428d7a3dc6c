// Dates, months and numbers as Vietnamese paperwork writes them: 23/11/2026, tháng 11/2026,
// 4.883 and 49,72%. The API sends ISO dates and plain numbers; only what is shown changes.

import { tr } from './i18n';

const integer = new Intl.NumberFormat('vi-VN', { maximumFractionDigits: 2 });
const percent = new Intl.NumberFormat('vi-VN', { style: 'percent', minimumFractionDigits: 2, maximumFractionDigits: 2 });
const percentShort = new Intl.NumberFormat('vi-VN', { style: 'percent', maximumFractionDigits: 0 });

/** 4883 → "4.883", 2.5 → "2,5". */
export function num(n: number | null | undefined): string {
  return n === null || n === undefined || Number.isNaN(n) ? '—' : integer.format(n);
}

/** 0.4972 → "49,72%"; nothing to divide → "—". */
export function pct(ratio: number | null | undefined, short = false): string {
  if (ratio === null || ratio === undefined || !Number.isFinite(ratio)) return '—';
  return (short ? percentShort : percent).format(ratio);
}

/** part / whole, or null when the whole is nothing (a unit with no households has no rate). */
export function ratio(part: number, whole: number): number | null {
  return whole > 0 ? part / whole : null;
}

/** "2026-11-23" → "23/11/2026"; anything else is shown as it came. */
export function dateVi(iso: string | null | undefined): string {
  if (!iso) return '—';
  const m = /^(\d{4})-(\d{2})-(\d{2})/.exec(iso);
  return m ? `${m[3]}/${m[2]}/${m[1]}` : iso;
}

/** "2026-11" → "11/2026". */
export function monthShort(month: string): string {
  const [y, m] = month.split('-');
  return m ? `${m}/${y}` : month;
}

/** "2026-11" → "tháng 11/2026" (in English "month 11/2026"). */
export function monthVi(month: string): string {
  const [y, m] = month.split('-');
  return m ? tr.monthOf(m, y) : month;
}

/** The month of a local date, "yyyy-mm". */
export function monthOf(date = new Date()): string {
  return `${date.getFullYear()}-${String(date.getMonth() + 1).padStart(2, '0')}`;
}

/** Lower case without diacritics, for matching names the way the server's search does. */
export function fold(s: string): string {
  return s
    .normalize('NFD')
    .replace(/[\u0300-\u036f]/g, '')
    .replace(/đ/g, 'd')
    .replace(/Đ/g, 'D')
    .toLowerCase();
}
