// The shell: routes, the header with the sync status, the tabs, and the lock. Each screen
// reads the replica when the phone's version changes; every edit goes through `phone.edit`,
// which resolves once the edit is on disk, and only then does a form say "saved". Sync runs
// beside them and never blocks typing.

import { useEffect, useState } from 'preact/hooks';
import { type Phone, SyncLoop } from './phone';
import { t } from './i18n';
import { ErrorLine, useAction, useOnline } from './ui';
import { Households, HouseholdScreen } from './screens/households';
import { ReportScreen } from './screens/report';
import { CellScreen } from './screens/cell';
import { SyncScreen } from './screens/sync';

type Route = { page: 'households' } | { page: 'household'; doc: string } | { page: 'report' } | { page: 'cell' } | { page: 'sync' };

function parseRoute(hash: string): Route {
  const parts = hash.replace(/^#\/?/, '').split('/');
  switch (parts[0]) {
    case 'h':
      return { page: 'household', doc: decodeURIComponent(parts[1] ?? '') };
    case 'report':
      return { page: 'report' };
    case 'cell':
      return { page: 'cell' };
    case 'sync':
      return { page: 'sync' };
    default:
      return { page: 'households' };
  }
}

function useRoute(): Route {
  const [route, setRoute] = useState(() => parseRoute(location.hash));
  useEffect(() => {
    const onHash = () => setRoute(parseRoute(location.hash));
    addEventListener('hashchange', onHash);
    return () => removeEventListener('hashchange', onHash);
  }, []);
  return route;
}

/** Re-renders whenever the phone changes. */
function usePhone(phone: Phone): number {
  const [version, setVersion] = useState(phone.version);
  useEffect(() => phone.subscribe(() => setVersion(phone.version)), [phone]);
  return version;
}

function SyncStatus({ phone }: { phone: Phone }) {
  const online = useOnline();
  const pending = phone.replica.unsynced().length;
  let text: string;
  let kind: string;
  if (phone.syncing) [text, kind] = [t('syncing'), 'syncing'];
  else if (!online) [text, kind] = [`${t('offline')} · ${pending} ${t('notSynced')}`, 'offline'];
  else if (phone.lastError) [text, kind] = [`${t('syncFailed')} · ${pending} ${t('notSynced')}`, 'failed'];
  else if (pending > 0) [text, kind] = [`${pending} ${t('notSynced')}`, 'pending'];
  else [text, kind] = [t('synced'), 'synced'];
  return (
    <a href="#/sync" class={`sync-status ${kind}`} data-testid="sync-status" data-pending={pending} data-last-sync={phone.lastSync ?? 0}>
      {text}
    </a>
  );
}

export function Main({ phone, loop }: { phone: Phone; loop: SyncLoop }) {
  usePhone(phone);
  const route = useRoute();
  if (phone.isLocked()) return <Locked loop={loop} />;
  const tabs: [string, string][] = [
    ['#/', t('tabHouseholds')],
    ['#/report', t('tabReport')],
    ...(phone.isSecretary ? ([['#/cell', t('tabCell')]] as [string, string][]) : []),
    ['#/sync', t('tabSync')],
  ];
  const current = route.page === 'household' ? 'households' : route.page;
  return (
    <div class="shell">
      <header>
        <span class="who">{phone.identity.name}</span>
        <SyncStatus phone={phone} />
      </header>
      <nav>
        {tabs.map(([href, label]) => (
          <a href={href} class={href.slice(2) === current || (href === '#/' && current === 'households') ? 'active' : ''}>
            {label}
          </a>
        ))}
      </nav>
      <main class="screen">
        {route.page === 'households' && <Households phone={phone} />}
        {route.page === 'household' && <HouseholdScreen phone={phone} doc={route.doc} />}
        {route.page === 'report' && <ReportScreen phone={phone} />}
        {route.page === 'cell' && phone.isSecretary && <CellScreen phone={phone} />}
        {route.page === 'sync' && <SyncScreen phone={phone} loop={loop} />}
      </main>
    </div>
  );
}

function Locked({ loop }: { loop: SyncLoop }) {
  const [busy, error, run] = useAction();
  return (
    <main class="screen locked">
      <h1>{t('locked')}</h1>
      <p>{t('lockedHelp')}</p>
      <button disabled={busy} onClick={() => run(() => loop.now())}>
        {busy ? t('syncing') : t('syncNow')}
      </button>
      <ErrorLine error={error} />
    </main>
  );
}
