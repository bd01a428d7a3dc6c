// Days as the phone's owner lives them: the local calendar day, yyyy-mm-dd for the core.

function pad(n: number): string {
  return String(n).padStart(2, '0');
}

export function todayIso(now = new Date()): string {
  return `${now.getFullYear()}-${pad(now.getMonth() + 1)}-${pad(now.getDate())}`;
}

export function thisMonth(now = new Date()): string {
  return todayIso(now).slice(0, 7);
}

/** "11/2026", as the month is written after "tháng". */
export function monthVi(month: string): string {
  const [y, m] = month.split('-');
  return `${m}/${y}`;
}

/** dd/mm/yyyy hh:mm of a moment, for "last synced". */
export function momentVi(ms: number): string {
  const d = new Date(ms);
  return `${pad(d.getDate())}/${pad(d.getMonth() + 1)}/${d.getFullYear()} ${pad(d.getHours())}:${pad(d.getMinutes())}`;
}
