// Hash routes, so that the server serves one page and every view has an address a person can
// bookmark or paste: `#/overview?unit=hsp-x01&month=2026-11`, `#/table/gaps?unit=…`,
// `#/household/ID`, `#/search?q=…`, `#/org`, `#/org/import`, `#/print/cell?unit=…`, `#/print/district?unit=…`,
// `#/accounts`, `#/enrol?cell=…`, `#/devices?unit=…`, `#/audit?actor=…&action=…&since=…&until=…&unit=…`, and `#/password` (public: a new password with a one-time code).

import { useEffect, useState } from 'preact/hooks';

export type Route =
  | { page: 'overview'; unit?: string; month?: string }
  | { page: 'table'; table: string; unit?: string; month?: string; household?: string }
  | { page: 'household'; id: string }
  | { page: 'search'; q: string }
  | { page: 'org' }
  | { page: 'org-import' }
  | { page: 'print-cell'; unit?: string; month?: string }
  | { page: 'print-district'; unit?: string; month?: string }
  | { page: 'accounts' }
  | { page: 'enrol'; cell?: string }
  | { page: 'devices'; unit?: string }
  | { page: 'audit'; actor?: string; action?: string; since?: string; until?: string; unit?: string }
  | { page: 'password' };

export function parseRoute(hash: string): Route {
  const [path, query = ''] = hash.replace(/^#\/?/, '').split('?');
  const q = new URLSearchParams(query);
  const get = (k: string) => q.get(k) || undefined;
  const parts = path.split('/').map(decodeURIComponent);
  switch (parts[0]) {
    case 'table':
      return { page: 'table', table: parts[1] ?? 'coverage', unit: get('unit'), month: get('month'), household: get('household') };
    case 'household':
      return { page: 'household', id: parts[1] ?? '' };
    case 'search':
      return { page: 'search', q: q.get('q') ?? '' };
    case 'org':
      return parts[1] === 'import' ? { page: 'org-import' } : { page: 'org' };
    case 'accounts':
      return { page: 'accounts' };
    case 'enrol':
      return { page: 'enrol', cell: get('cell') };
    case 'devices':
      return { page: 'devices', unit: get('unit') };
    case 'audit':
      return { page: 'audit', actor: get('actor'), action: get('action'), since: get('since'), until: get('until'), unit: get('unit') };
    case 'password':
      return { page: 'password' };
    case 'print':
      return parts[1] === 'cell'
        ? { page: 'print-cell', unit: get('unit'), month: get('month') }
        : { page: 'print-district', unit: get('unit'), month: get('month') };
    default:
      return { page: 'overview', unit: get('unit'), month: get('month') };
  }
}

function withQuery(path: string, query: Record<string, string | undefined>): string {
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) if (v) params.set(k, v);
  const qs = params.toString();
  return `#/${path}${qs ? `?${qs}` : ''}`;
}

export const href = {
  overview: (unit?: string, month?: string) => withQuery('overview', { unit, month }),
  table: (table: string, q: { unit?: string; month?: string; household?: string } = {}) =>
    withQuery(`table/${encodeURIComponent(table)}`, q),
  household: (id: string) => `#/household/${encodeURIComponent(id)}`,
  search: (q: string) => withQuery('search', { q }),
  org: () => '#/org',
  orgImport: () => '#/org/import',
  accounts: () => '#/accounts',
  enrol: (cell?: string) => withQuery('enrol', { cell }),
  devices: (unit?: string) => withQuery('devices', { unit }),
  audit: () => '#/audit',
  password: () => '#/password',
  printCell: (unit?: string, month?: string) => withQuery('print/cell', { unit, month }),
  printDistrict: (unit?: string, month?: string) => withQuery('print/district', { unit, month }),
};

export function useRoute(): Route {
  const [route, setRoute] = useState(() => parseRoute(location.hash));
  useEffect(() => {
    const onHash = () => {
      setRoute(parseRoute(location.hash));
      scrollTo(0, 0);
    };
    addEventListener('hashchange', onHash);
    // The hash may have changed between the first render and now, before anyone listened.
    setRoute(parseRoute(location.hash));
    return () => removeEventListener('hashchange', onHash);
  }, []);
  return route;
}
