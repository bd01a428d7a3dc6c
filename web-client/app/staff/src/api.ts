// The staff API as the dashboard reads it: the wire types, one fetch helper that turns an error
// answer into an `ApiError` the pages can show, and the URLs of the exports. Every call carries
// the session cookie; a 401 anywhere means the session ended, and the shell goes back to sign-in.

import { lang, tr } from './i18n';

export interface Session {
  login: string;
  name: string;
  role: string;
  role_label: string;
  scope: string;
  scope_name: string;
  csrf?: string;
  /** The staff actions core allows this account (`manage_accounts`, `enrol`, …); the pages offer only these. */
  actions?: string[];
  /** The roles this account may give others, as core decides. */
  roles?: { code: string; label: string }[];
}

/** Whether the session may take a staff action, as the server (core) listed it. */
export function may(session: Session, action: string): boolean {
  return session.actions?.includes(action) ?? false;
}

export interface UnitRef {
  id: string;
  name: string;
  kind: string;
  level_label: string;
}

export interface Coverage {
  households: number;
  assigned: number;
  visited: number;
}

export interface ChildRow extends UnitRef, Coverage {
  open_flags: number;
  missing_reports: number;
  members: number;
}

export interface TrendPoint {
  month: string;
  assigned: number;
  visited: number;
}

export interface FlagAge {
  label: string;
  open: number;
  escalated: number;
}

export interface RatingMatrix {
  levels: { code: string; label: string }[];
  /** counts[self][cell], each with one more row and column for "not rated yet". */
  counts: number[][];
}

export interface Overview {
  unit: UnitRef;
  breadcrumb: UnitRef[];
  month: string;
  today: string;
  coverage: Coverage;
  children: ChildRow[];
  trend: TrendPoint[];
  /** `months`: how many months without a visit make a gap, as the server counts them. */
  gaps: { months: number; unassigned: number; not_visited: number };
  idle_members: number;
  flags: { open: number; escalated: number; by_age: FlagAge[] };
  reports: { due: number; submitted: number; missing: number };
  ratings: RatingMatrix;
  members: { total: number; active: number; working_away: number; exempt: number };
}

export type ColumnKind = 'text' | 'number' | 'date' | 'percent';
export type Cell = string | number | boolean | null;

export interface Column {
  key: string;
  label: string;
  kind: ColumnKind;
}

export interface Table {
  table: string;
  title: string;
  unit: UnitRef;
  month: string;
  columns: Column[];
  /**
   * Keyed by column key; `household_id` and `unit_id` ride along for links, and
   * `visited_this_month` (true or false) on each household's row.
   */
  rows: Record<string, Cell>[];
}

export const TABLES = [
  'coverage',
  'gaps',
  'idle_members',
  'flags',
  'reports',
  'missing_reports',
  'ratings',
  'away',
  'households',
  'history',
] as const;
export type TableName = (typeof TABLES)[number];

export interface NoteDetail {
  id: string;
  date: string;
  author: string;
  author_name?: string | null;
  text: string;
  topics: string[];
  deleted: boolean;
}

export interface FlagDetail {
  id: string;
  note: string | null;
  raised_by: string;
  raised_by_name?: string | null;
  raised_on: string;
  text: string;
  status: string;
  status_label: string;
  /** Still waiting for someone's action, as the server counts open flags. */
  open: boolean;
}

export interface HistoryEntry {
  at: number;
  date: string;
  time: string;
  who: string;
  what: string;
}

export interface HouseholdDetail {
  id: string;
  head: string;
  village: string;
  people: number | null;
  livelihood: string | null;
  tags: string[];
  notes: NoteDetail[];
  flags: FlagDetail[];
  conflicts: unknown[];
  cell?: UnitRef;
  breadcrumb?: UnitRef[];
  assigned_member?: string | null;
  assigned_name?: string | null;
  history?: HistoryEntry[];
  /** Set when the cell closed the household (moved away, merged): kept, looked after no more. */
  closed?: { on: string; reason: string; reason_label: string; detail: string; by_name: string } | null;
}

export interface SearchResults {
  households: { id: string; head: string; village: string; cell: UnitRef }[];
  members: { id: string; name: string; status: string; status_label: string; cell: UnitRef }[];
}

/** An answer other than 2xx: its status and the server's own words. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** Heard by the shell: the session is gone (expired, signed out elsewhere). */
export const SIGNED_OUT = 'hosync-signed-out';

type Query = Record<string, string | null | undefined>;

/** `/api/v1{path}?…`, leaving out the parameters that are unset so the server's defaults apply. */
export function apiUrl(path: string, query: Query = {}): string {
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) if (v) params.set(k, v);
  const qs = params.toString();
  return `/api/v1${path}${qs ? `?${qs}` : ''}`;
}

// The CSRF token is in a cookie this page may read; the session cookie itself is HttpOnly.
function csrf(): string {
  const found = document.cookie.split('; ').find((c) => c.startsWith('hosync_csrf='));
  return found ? decodeURIComponent(found.slice('hosync_csrf='.length)) : '';
}

export async function call<T>(method: string, url: string, body?: unknown): Promise<T> {
  let response: Response;
  try {
    response = await fetch(url, {
      method,
      credentials: 'same-origin',
      headers: {
        Accept: 'application/json',
        'Accept-Language': lang,
        ...(body === undefined ? {} : { 'Content-Type': 'application/json' }),
        ...(method === 'GET' ? {} : { 'X-CSRF-Token': csrf() }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch {
    throw new ApiError(0, 'network', tr.noServer);
  }
  const text = await response.text();
  let json: unknown = null;
  try {
    json = text ? JSON.parse(text) : null;
  } catch {
    // A proxy's HTML error page: the status alone says what happened.
  }
  if (!response.ok) {
    const e = (json ?? {}) as { error?: string; message?: string };
    if (response.status === 401 && !url.endsWith('/session')) dispatchEvent(new Event(SIGNED_OUT));
    throw new ApiError(response.status, e.error ?? String(response.status), e.message ?? response.statusText);
  }
  return json as T;
}

export const api = {
  /** The signed-in account, or null when nobody is. */
  async session(): Promise<Session | null> {
    try {
      return await call<Session>('GET', apiUrl('/session'));
    } catch (e) {
      if (e instanceof ApiError && e.status === 401) return null;
      throw e;
    }
  },
  signIn: (login: string, password: string) => call<Session>('POST', apiUrl('/session'), { login, password }),
  signOut: () => call<unknown>('DELETE', apiUrl('/session')),
  overview: (unit?: string, month?: string) => call<Overview>('GET', apiUrl('/overview', { unit, month })),
  table: (name: string, q: TableQuery) => call<Table>('GET', tableUrl(name, q)),
  household: (id: string) => call<HouseholdDetail>('GET', apiUrl(`/households/${encodeURIComponent(id)}`)),
  search: (q: string) => call<SearchResults>('GET', apiUrl('/search', { q })),
  /** A change to the organisation (`/org/units`, `/org/members/{id}/transfer`, …); the answer as the server gives it. */
  org: (path: string, body: Record<string, unknown>) => call<Record<string, unknown>>('POST', apiUrl(`/org${path}`), body),
  orgUnits: () => call<OrgUnitRow[]>('GET', apiUrl('/org/units')),
  orgChoices: () => call<OrgChoices>('GET', apiUrl('/org/choices')),
};

/** A coded value a form offers: its code and its label (`GET /org/choices`, from core). */
export interface Choice {
  code: string;
  label: string;
}

/** What the Organisation page's forms offer. */
export interface OrgChoices {
  unit_kinds: Choice[];
  member_roles: Choice[];
}

/** A unit of the Organisation page's tree (`GET /org/units`), each after its parent. */
export interface OrgUnitRow {
  id: string;
  parent: string | null;
  kind: string;
  kind_label: string;
  level_label: string;
  name: string;
  depth: number;
}

/** What an import would do, or did (`POST /org/import`). */
export interface ImportPlan {
  file: string;
  applied: boolean;
  counts: { sheet: string; created: number; changed: number; same: number }[];
  rows: { sheet: string; row: number; kind: string; action: 'create' | 'change' | 'same'; code: string; name: string; changed: string[] }[];
  members_not_in_sheet: string[];
  households_not_in_sheet: string[];
  ignored_sheets: string[];
  errors: { sheet: string; row: number; column: string; header: string; message: string }[];
}

/**
 * Sends a spreadsheet to preview (`apply` false) or apply. The file goes as the body, its name
 * in the address; a refused apply (422) still answers the plan with its errors.
 */
export async function importFile(name: string, bytes: ArrayBuffer, apply: boolean): Promise<ImportPlan> {
  let response: Response;
  try {
    response = await fetch(apiUrl('/org/import', { name, apply: apply ? 'true' : undefined }), {
      method: 'POST',
      credentials: 'same-origin',
      headers: {
        Accept: 'application/json',
        'Accept-Language': lang,
        'Content-Type': 'application/octet-stream',
        'X-CSRF-Token': csrf(),
      },
      body: bytes,
    });
  } catch {
    throw new ApiError(0, 'network', tr.noServer);
  }
  const json = (await response.json().catch(() => null)) as (ImportPlan & { error?: string; message?: string }) | null;
  if (response.ok || (response.status === 422 && json?.errors)) return json as ImportPlan;
  if (response.status === 401) dispatchEvent(new Event(SIGNED_OUT));
  throw new ApiError(response.status, json?.error ?? String(response.status), json?.message ?? response.statusText);
}

/** The empty workbook to fill, with its drop-down lists. */
export const IMPORT_TEMPLATE_URL = apiUrl('/org/import/template');

export interface TableQuery {
  unit?: string;
  month?: string;
  household?: string;
}

/** A table as JSON, or as a download when `format` is `csv` or `xlsx`. */
export function tableUrl(name: string, q: TableQuery, format?: 'csv' | 'xlsx'): string {
  return apiUrl(`/tables/${encodeURIComponent(name)}`, { ...q, format });
}
