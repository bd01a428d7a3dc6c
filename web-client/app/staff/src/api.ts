// The staff API as the dashboard reads it: the wire types, one fetch helper that turns an error
// answer into an `ApiError` the pages can show, and the URLs of the exports. Every call carries
// the session cookie; a 401 anywhere means the session ended, and the shell goes back to sign-in.

import type { components, operations } from './openapi';
import { lang, tr } from './i18n';

// The wire types are the server's, generated from its OpenAPI document
// (`staff/openapi.json`, written by `hosync openapi`) into `openapi.d.ts` by openapi-typescript
// in the build; the names below are the pages' names for them.
type Schemas = components['schemas'];

export type Session = Schemas['SessionInfo'];

/** Whether the session may take a staff action, as the server (core) listed it. */
export function may(session: Session, action: string): boolean {
  return session.actions?.includes(action) ?? false;
}

export type UnitRef = Schemas['UnitRef'];
export type Coverage = Schemas['Coverage'];
export type ChildRow = Schemas['ChildRow'];
export type TrendPoint = Schemas['TrendPoint'];
export type FlagAge = Schemas['FlagAgeCount'];
export type RatingMatrix = Schemas['RatingMatrix'];
export type Overview = Schemas['Overview'];
export type ColumnKind = Schemas['ColumnKind'];
export type Cell = Schemas['CellValue'];
export type Column = Schemas['Column'];
export type Table = Schemas['Table'];

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

export type NoteDetail = Schemas['NoteDetail'];
export type FlagDetail = Schemas['FlagDetail'];
export type HistoryEntry = Schemas['HistoryRow'];
export type HouseholdDetail = Schemas['HouseholdDetail'];
export type SearchResults = Schemas['SearchResults'];

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
export type Choice = Schemas['Choice'];
/** What the Organisation page's forms offer. */
export type OrgChoices = Schemas['Choices'];
/** A unit of the Organisation page's tree (`GET /org/units`), each after its parent. */
export type OrgUnitRow = Schemas['UnitRow'];
/** What an import would do, or did (`POST /org/import`). */
export type ImportPlan = Schemas['PlanBody'];

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

/** What a table is asked for (`GET /tables/{table}`), less the download's format. */
export type TableQuery = Omit<NonNullable<operations['table']['parameters']['query']>, 'format'>;

/** A table as JSON, or as a download when `format` is `csv` or `xlsx`. */
export function tableUrl(name: string, q: TableQuery, format?: 'csv' | 'xlsx'): string {
  return apiUrl(`/tables/${encodeURIComponent(name)}`, { ...q, format });
}
