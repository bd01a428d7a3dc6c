// The staff dashboard: sign-in, then the shell (who is signed in and over what, the search box,
// sign-out) around the page the address names. It is a plain page, not the field app's PWA:
// staff work online on a desktop, and household data should not linger in a browser's cache.

import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { SIGNED_OUT, api, may, type Session } from './api';
import { href, useRoute, type Route } from './route';
import { ErrorView } from './ui';
import { lang, switchLang, tr } from './i18n';
import { SignIn } from './pages/signin';
import { OverviewPage } from './pages/overview';
import { TablePage } from './pages/table';
import { HouseholdPage } from './pages/household';
import { SearchBox, SearchPage } from './pages/search';
import { PrintCellPage } from './pages/print-cell';
import { PrintDistrictPage } from './pages/print-district';
import { OrgPage } from './pages/org';
import { ImportPage } from './pages/import';
import { AccountsPage } from './pages/accounts';
import { PasswordPage } from './pages/password';
import { DevicesPage } from './pages/devices';
import { AuditPage } from './pages/audit';
import { EnrolPage } from './pages/enrol';
import './staff.css';

function Page({ route, session }: { route: Route; session: Session }) {
  switch (route.page) {
    case 'overview':
      return <OverviewPage unit={route.unit} month={route.month} />;
    case 'table':
      return <TablePage table={route.table} unit={route.unit} month={route.month} household={route.household} />;
    case 'household':
      return <HouseholdPage id={route.id} />;
    case 'search':
      return <SearchPage q={route.q} />;
    case 'org':
      return <OrgPage />;
    case 'org-import':
      return <ImportPage />;
    case 'print-cell':
      return <PrintCellPage unit={route.unit} month={route.month} />;
    case 'print-district':
      return <PrintDistrictPage unit={route.unit} month={route.month} />;
    case 'accounts':
      return <AccountsPage session={session} />;
    case 'password':
      return <PasswordPage />;
    case 'devices':
      return <DevicesPage unit={route.unit} />;
    case 'audit':
      return <AuditPage filters={route} />;
    case 'enrol':
      return <EnrolPage cell={route.cell} />;
  }
}

/** Tiếng Việt / English: the choice is kept in this browser, and the page shows again in it. */
function LangSwitch() {
  return (
    <span class="lang-switch no-print" role="group" aria-label={tr.language}>
      {(['vi', 'en'] as const).map((l) => (
        <button class={l === lang ? 'link active' : 'link'} aria-pressed={l === lang} data-lang={l} lang={l} onClick={() => switchLang(l)}>
          {l === 'vi' ? 'Tiếng Việt' : 'English'}
        </button>
      ))}
    </span>
  );
}

function Shell({ session, onSignedOut }: { session: Session; onSignedOut: () => void }) {
  const route = useRoute();
  const [error, setError] = useState<unknown>(null);
  const signOut = async () => {
    try {
      await api.signOut();
      // The next person at this desk starts from their own overview, not from this one's page.
      history.replaceState(null, '', location.pathname);
      onSignedOut();
    } catch (e) {
      setError(e);
    }
  };
  return (
    <div class="shell">
      <header class="top">
        <a class="brand" href={href.overview()}>
          {tr.brand}
        </a>
        <nav aria-label={tr.navMain}>
          <a href={href.overview()} class={route.page === 'overview' && !route.unit ? 'active' : ''}>
            {tr.navOverview}
          </a>
          <a href={href.table('gaps')} class={route.page === 'table' ? 'active' : ''}>
            {tr.navTables}
          </a>
          <a href={href.printDistrict()} class={route.page.startsWith('print') ? 'active' : ''}>
            {tr.navPrint}
          </a>
          {may(session, 'manage_organisation') && (
            <a href={href.org()} class={route.page.startsWith('org') ? 'active' : ''}>
              {tr.navOrg}
            </a>
          )}
          {may(session, 'manage_accounts') && (
            <a href={href.accounts()} class={route.page === 'accounts' ? 'active' : ''}>
              {tr.navAccounts}
            </a>
          )}
          {may(session, 'enrol') && (
            <a href={href.enrol()} class={route.page === 'enrol' ? 'active' : ''}>
              {tr.navEnrol}
            </a>
          )}
          {may(session, 'manage_devices') && (
            <a href={href.devices()} class={route.page === 'devices' ? 'active' : ''}>
              {tr.navDevices}
            </a>
          )}
          {may(session, 'read_audit') && (
            <a href={href.audit()} class={route.page === 'audit' ? 'active' : ''}>
              {tr.navAudit}
            </a>
          )}
        </nav>
        <SearchBox q={route.page === 'search' ? route.q : ''} />
        <div class="who" data-testid="who" data-role={session.role} data-scope={session.scope}>
          <span class="name">
            {session.name} ({session.login})
          </span>
          <span class="scope">
            {session.role_label} · {session.scope_name}
          </span>
        </div>
        <LangSwitch />
        <button class="secondary" onClick={signOut}>
          {tr.signOut}
        </button>
      </header>
      <main class="page">
        {error !== null && <ErrorView error={error} />}
        <Page route={route} session={session} />
      </main>
    </div>
  );
}

function Root() {
  const route = useRoute();
  const [session, setSession] = useState<Session | null | undefined>(undefined);
  const [error, setError] = useState<unknown>(null);
  useEffect(() => {
    api.session().then(setSession, setError);
    const onSignedOut = () => setSession(null);
    addEventListener(SIGNED_OUT, onSignedOut);
    return () => removeEventListener(SIGNED_OUT, onSignedOut);
  }, []);
  if (error !== null) return <ErrorView error={error} />;
  if (session === undefined) return <p class="loading">{tr.opening}</p>;
  // Setting a new password with a one-time code needs no session.
  if (route.page === 'password' && !session) return <PasswordPage />;
  if (session === null)
    return (
      <>
        <LangSwitch />
        <SignIn onSignedIn={setSession} />
      </>
    );
  return <Shell session={session} onSignedOut={() => setSession(null)} />;
}

const root = document.getElementById('app')!;
root.textContent = '';
render(<Root />, root);
