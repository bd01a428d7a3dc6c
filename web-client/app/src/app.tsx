// The screens. Each reads the replica when the phone's version changes; every edit goes
// through `phone.edit`, which resolves once the edit is on disk, and only then does a form say
// "saved". Sync runs beside them and never blocks typing.

import { useEffect, useState, useRef } from 'preact/hooks';
import type { ComponentChildren } from 'preact';
import { ratings, type Cell, type Household, type MonthlyReport, type RatingCode, type ReportDraft } from 'hosync-web';
import { Phone, SyncLoop, ServerError } from './phone';
import { t, codeLabel, lang, setLang } from './i18n';
import { todayIso, thisMonth, monthVi, momentVi } from './dates';
import { bundleParts, qrSvg, PartCollector, qrDetector, enrolmentCode } from './qr';

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

function useOnline(): boolean {
  const [online, setOnline] = useState(navigator.onLine);
  useEffect(() => {
    const on = () => setOnline(true);
    const off = () => setOnline(false);
    addEventListener('online', on);
    addEventListener('offline', off);
    return () => {
      removeEventListener('online', on);
      removeEventListener('offline', off);
    };
  }, []);
  return online;
}

function message(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** A button that runs an async action, shows it is busy, and shows its error. */
function useAction(): [boolean, string | null, (action: () => Promise<unknown>) => Promise<boolean>] {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const run = async (action: () => Promise<unknown>) => {
    setBusy(true);
    setError(null);
    try {
      await action();
      return true;
    } catch (e) {
      setError(message(e));
      return false;
    } finally {
      setBusy(false);
    }
  };
  return [busy, error, run];
}

function ErrorLine({ error }: { error: string | null }) {
  return error ? <p class="error" role="alert">{error}</p> : null;
}

function StatusBadge({ phone, doc, item }: { phone: Phone; doc: string; item?: string }) {
  const refused = phone.refusal(doc);
  if (refused && phone.onPhone(doc, item)) {
    return <span class="badge refused" title={refused} data-status="refused">{t('refused')}: {refused}</span>;
  }
  return phone.onPhone(doc, item) ? (
    <span class="badge on-phone" data-status="on_phone">{t('onPhone')}</span>
  ) : (
    <span class="badge on-server" data-status="on_server">{t('onServer')}</span>
  );
}

/** The cell's document on this phone, read, or null before the first sync. */
function readCell(phone: Phone): Cell | null {
  const id = phone.replica.documentIds().find((d) => d.startsWith('c:'));
  return id ? phone.replica.cell(id) : null;
}

function nameOf(cell: Cell | null, member: string | null): string {
  if (!member) return t('unassigned');
  return cell?.members.find((m) => m.id === member)?.name ?? member;
}

export function Enrol({ notice, onEnrolled }: { notice?: string; onEnrolled: (phone: Phone) => void }) {
  const fromLink = /^#\/enrol\/(.+)$/.exec(location.hash)?.[1];
  const [code, setCode] = useState(fromLink ? decodeURIComponent(fromLink) : '');
  const [busy, error, run] = useAction();
  const [scanning, setScanning] = useState(false);
  const enrol = (value: string) =>
    run(async () => {
      if (!navigator.onLine) throw new Error(t('enrolNeedsNetwork'));
      const label = `${navigator.userAgent.match(/\(([^;)]+)/)?.[1] ?? 'web'}, ${todayIso()}`;
      onEnrolled(await Phone.enrol(enrolmentCode(value), label));
      location.hash = '#/';
    });
  return (
    <main class="screen enrol">
      <h1>{t('enrolTitle')}</h1>
      {notice && <p class="notice" role="status">{notice}</p>}
      <p>{t('enrolHelp')}</p>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          void enrol(code);
        }}
      >
        <label>
          {t('enrolCode')}
          <input
            name="code"
            value={code}
            autocomplete="one-time-code"
            autocapitalize="characters"
            placeholder="ABCDE-FGHJK"
            required
            onInput={(e) => setCode(e.currentTarget.value)}
          />
        </label>
        <button disabled={busy}>{busy ? t('enrolling') : t('enrolButton')}</button>
      </form>
      {qrDetector() && (
        <button class="secondary" onClick={() => setScanning(!scanning)}>
          {t('scanQr')}
        </button>
      )}
      {scanning && (
        <Scanner
          onText={(text) => {
            if (!text.startsWith('hosync:enrol:')) return false;
            setScanning(false);
            setCode(enrolmentCode(text));
            void enrol(text);
            return true;
          }}
        />
      )}
      <ErrorLine error={error} />
      <LanguageSwitch />
    </main>
  );
}

function LanguageSwitch() {
  return (
    <button
      class="link lang"
      onClick={() => {
        setLang(lang() === 'vi' ? 'en' : 'vi');
        // Every screen reads its words at render time; one reload renders them all anew.
        dispatchEvent(new Event('hosync-lang'));
      }}
    >
      {t('language')}
    </button>
  );
}

/** The camera, read by the browser's QR detector until `onText` accepts a code. */
function Scanner({ onText }: { onText: (text: string) => boolean }) {
  const video = useRef<HTMLVideoElement>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    const detector = qrDetector();
    let stream: MediaStream | null = null;
    let timer: ReturnType<typeof setInterval> | undefined;
    navigator.mediaDevices
      ?.getUserMedia({ video: { facingMode: 'environment' } })
      .then((s) => {
        stream = s;
        if (!video.current || !detector) return;
        video.current.srcObject = s;
        void video.current.play();
        timer = setInterval(async () => {
          if (!video.current) return;
          for (const code of await detector.detect(video.current).catch(() => [])) {
            if (onText(code.rawValue)) clearInterval(timer);
          }
        }, 300);
      })
      .catch((e) => setError(message(e)));
    return () => {
      clearInterval(timer);
      stream?.getTracks().forEach((track) => track.stop());
    };
  }, []);
  return (
    <div class="scanner">
      <video ref={video} muted playsInline />
      <ErrorLine error={error} />
    </div>
  );
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
  if (phone.isLocked()) return <Locked phone={phone} loop={loop} />;
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
        {route.page === 'household' && <HouseholdScreen phone={phone} doc={route.doc} loop={loop} />}
        {route.page === 'report' && <ReportScreen phone={phone} loop={loop} />}
        {route.page === 'cell' && phone.isSecretary && <CellScreen phone={phone} loop={loop} />}
        {route.page === 'sync' && <SyncScreen phone={phone} loop={loop} />}
      </main>
    </div>
  );
}

function Locked({ phone, loop }: { phone: Phone; loop: SyncLoop }) {
  const [busy, error, run] = useAction();
  return (
    <main class="screen locked">
      <h1>{t('locked')}</h1>
      <p>{t('lockedHelp')}</p>
      <button disabled={busy} onClick={() => run(() => loop.run().then(() => phone.lastError && Promise.reject(new Error(phone.lastError))))}>
        {busy ? t('syncing') : t('syncNow')}
      </button>
      <ErrorLine error={error} />
    </main>
  );
}

function Households({ phone }: { phone: Phone }) {
  const month = thisMonth();
  const cell = readCell(phone);
  const all = phone.replica.householdList(month);
  const mine = phone.isSecretary ? all : all.filter((h) => h.assignee === null || h.assignee === phone.identity.member);
  return (
    <section>
      <h1>{phone.isSecretary ? t('cellHouseholds') : t('myHouseholds')}</h1>
      <p class="muted">
        {t('month')} {monthVi(month)}: {mine.filter((h) => h.visited).length}/{mine.length} {t('visited').toLowerCase()}
      </p>
      {mine.length === 0 && <p>{t('noHouseholds')}</p>}
      <ul class="cards">
        {mine.map((h) => (
          <li>
            <a href={`#/h/${encodeURIComponent(h.docId)}`} class="card" data-household={h.id}>
              <strong>{h.head}</strong>
              <span class="muted">
                {h.village} · {h.people} {t('people')}
              </span>
              <span class={h.visited ? 'badge visited' : 'badge not-visited'}>{h.visited ? t('visited') : t('notVisited')}</span>
              {h.openFlags > 0 && (
                <span class="badge flag">
                  {h.openFlags} {t('openFlags')}
                </span>
              )}
              {phone.isSecretary && (
                <span class="muted">
                  {t('assignedTo')}: {nameOf(cell, h.assignee)}
                </span>
              )}
              <StatusBadge phone={phone} doc={h.docId} />
            </a>
          </li>
        ))}
      </ul>
    </section>
  );
}

function HouseholdScreen({ phone, doc, loop }: { phone: Phone; doc: string; loop: SyncLoop }) {
  if (!phone.replica.documentIds().includes(doc)) {
    return (
      <section>
        <a href="#/">{t('back')}</a>
        <p>{t('noHouseholds')}</p>
      </section>
    );
  }
  const household: Household = phone.replica.household(doc);
  const cell = readCell(phone);
  const notes = [...household.notes].reverse();
  const flags = [...household.flags].reverse();
  return (
    <section>
      <a href="#/">{t('back')}</a>
      <h1>{household.head}</h1>
      <p class="muted">
        {household.village} · {household.people} {t('people')} · {household.livelihood}
        <br />
        {t('lastVisit')}: {household.lastVisitVi ?? t('never')}
      </p>
      <NoteForm phone={phone} doc={doc} loop={loop} />
      <h2>{t('notes')}</h2>
      {notes.length === 0 && <p>{t('noNotes')}</p>}
      <ul class="notes">
        {notes.map((note) => (
          <li key={note.id} class={note.deleted ? 'note deleted' : 'note'} data-note={note.id}>
            <NoteItem phone={phone} doc={doc} note={note} author={nameOf(cell, note.author)} loop={loop} />
          </li>
        ))}
      </ul>
      <h2>{t('flags')}</h2>
      <FlagForm phone={phone} doc={doc} loop={loop} />
      {flags.length === 0 && <p>{t('noFlags')}</p>}
      <ul class="flags">
        {flags.map((flag) => (
          <li key={flag.id} class={`flag ${flag.status}`} data-flag={flag.id}>
            <p class="text">{flag.text}</p>
            <p class="muted">
              {codeLabel(flag.status, flag.statusLabel)} · {t('raisedOn')} {flag.raisedOnVi} · {nameOf(cell, flag.raisedBy)}
            </p>
            <StatusBadge phone={phone} doc={doc} item={`flag:${flag.id}`} />
            <div class="actions">
              {flag.status !== 'escalated' && flag.status !== 'resolved' && (
                <FlagAction phone={phone} doc={doc} flag={flag.id} to="escalated" label={t('escalate')} loop={loop} />
              )}
              {flag.status !== 'resolved' ? (
                <FlagAction phone={phone} doc={doc} flag={flag.id} to="resolved" label={t('resolve')} loop={loop} />
              ) : (
                <FlagAction phone={phone} doc={doc} flag={flag.id} to="open" label={t('reopen')} loop={loop} />
              )}
            </div>
          </li>
        ))}
      </ul>
    </section>
  );
}

function FlagAction(props: { phone: Phone; doc: string; flag: string; to: 'open' | 'escalated' | 'resolved'; label: string; loop: SyncLoop }) {
  const { phone, doc, flag, to, label, loop } = props;
  const [busy, error, run] = useAction();
  return (
    <>
      <button
        class="secondary"
        disabled={busy}
        onClick={() =>
          run(async () => {
            await phone.edit(doc, [`flag:${flag}`], (r) => r.setFlagStatus(doc, flag, to, phone.identity.member, todayIso()));
            loop.soon(SyncLoop.AFTER_EDIT_MS);
          })
        }
      >
        {label}
      </button>
      <ErrorLine error={error} />
    </>
  );
}

/** The "saved" line a form shows once its edit is on disk. */
function SavedLine({ saved }: { saved: boolean }) {
  return saved ? (
    <p class="saved" role="status">
      {t('saved')}
    </p>
  ) : null;
}

function NoteForm({ phone, doc, loop }: { phone: Phone; doc: string; loop: SyncLoop }) {
  const [date, setDate] = useState(todayIso());
  const [text, setText] = useState('');
  const [saved, setSaved] = useState(false);
  const [busy, error, run] = useAction();
  return (
    <form
      class="note-form"
      onSubmit={async (e) => {
        e.preventDefault();
        setSaved(false);
        const ok = await run(async () => {
          if (!text.trim()) throw new Error(t('required'));
          await phone.edit(
            doc,
            (id) => [`note:${id}`],
            (r) => r.addNote(doc, phone.identity.member, date, text.trim(), []),
          );
        });
        if (ok) {
          setText('');
          setSaved(true);
          loop.soon(SyncLoop.AFTER_EDIT_MS);
        }
      }}
    >
      <h2>{t('newNote')}</h2>
      <label>
        {t('visitDate')}
        <input type="date" name="date" value={date} max={todayIso()} onInput={(e) => setDate(e.currentTarget.value)} />
      </label>
      <label>
        {t('noteText')}
        <textarea name="note" rows={3} value={text} onInput={(e) => setText(e.currentTarget.value)} />
      </label>
      <button disabled={busy}>{busy ? t('saving') : t('save')}</button>
      <SavedLine saved={saved} />
      <ErrorLine error={error} />
    </form>
  );
}

function NoteItem(props: { phone: Phone; doc: string; note: Household['notes'][number]; author: string; loop: SyncLoop }) {
  const { phone, doc, note, author, loop } = props;
  const [editing, setEditing] = useState(false);
  const [text, setText] = useState(note.text);
  const [busy, error, run] = useAction();
  if (editing) {
    return (
      <form
        class="note-edit"
        onSubmit={async (e) => {
          e.preventDefault();
          const ok = await run(() => phone.edit(doc, [`note:${note.id}`], (r) => r.editNote(doc, note.id, text)));
          if (ok) {
            setEditing(false);
            loop.soon(SyncLoop.AFTER_EDIT_MS);
          }
        }}
      >
        <textarea name="note" rows={4} value={text} onInput={(e) => setText(e.currentTarget.value)} />
        <button disabled={busy}>{busy ? t('saving') : t('save')}</button>
        <button type="button" class="secondary" onClick={() => setEditing(false)}>
          {t('cancel')}
        </button>
        <ErrorLine error={error} />
      </form>
    );
  }
  return (
    <>
      <p class="muted">
        {note.dateVi} · {t('by')}: {author}
        {note.deleted && ` · ${t('deleted')}`}
      </p>
      <p class="text">{note.text}</p>
      <StatusBadge phone={phone} doc={doc} item={`note:${note.id}`} />
      <button
        class="link"
        onClick={() => {
          setText(note.text);
          setEditing(true);
        }}
      >
        {t('edit')}
      </button>
    </>
  );
}

function FlagForm({ phone, doc, loop }: { phone: Phone; doc: string; loop: SyncLoop }) {
  const [text, setText] = useState('');
  const [saved, setSaved] = useState(false);
  const [busy, error, run] = useAction();
  return (
    <form
      class="flag-form"
      onSubmit={async (e) => {
        e.preventDefault();
        setSaved(false);
        const ok = await run(async () => {
          if (!text.trim()) throw new Error(t('required'));
          await phone.edit(
            doc,
            (id) => [`flag:${id}`],
            (r) => r.raiseFlag(doc, null, phone.identity.member, todayIso(), text.trim()),
          );
        });
        if (ok) {
          setText('');
          setSaved(true);
          loop.soon(SyncLoop.AFTER_EDIT_MS);
        }
      }}
    >
      <label>
        {t('flagText')}
        <textarea name="flag" rows={2} value={text} onInput={(e) => setText(e.currentTarget.value)} />
      </label>
      <button disabled={busy}>{busy ? t('saving') : t('raiseFlag')}</button>
      <SavedLine saved={saved} />
      <ErrorLine error={error} />
    </form>
  );
}

function RatingPicker(props: { name: string; value: RatingCode | null; onChange: (r: RatingCode) => void }) {
  return (
    <fieldset class="ratings">
      {ratings().map((r) => (
        <label>
          <input type="radio" name={props.name} value={r.code} checked={props.value === r.code} onChange={() => props.onChange(r.code)} />
          {codeLabel(r.code, r.label)}
        </label>
      ))}
    </fieldset>
  );
}

function reportDoc(member: string, month: string): string {
  return `r:${member}:${month}`;
}

function ReportScreen({ phone, loop }: { phone: Phone; loop: SyncLoop }) {
  const month = thisMonth();
  const doc = reportDoc(phone.identity.member, month);
  const held = phone.replica.documentIds().includes(doc);
  const report: MonthlyReport | null = held ? phone.replica.report(doc) : null;
  // Only what the member changed here is written: a field left alone shows the stored value,
  // which a sync may update meanwhile, and saving must not put the old value back.
  const [draft, setDraft] = useState<ReportDraft>({});
  const tasks = draft.tasks ?? report?.tasks ?? '';
  const content = draft.householdContent ?? report?.householdContent ?? '';
  const rating = draft.selfRating ?? report?.selfRating ?? null;
  const [saved, setSaved] = useState(false);
  const [busy, error, run] = useAction();
  const conflicts = held ? phone.replica.conflicts(doc) : [];
  const save = (submit: boolean) =>
    run(async () => {
      setSaved(false);
      await phone.edit(doc, ['report'], (r) => {
        r.openDocument(doc);
        r.writeReport(doc, draft);
        if (submit) r.submitReport(doc, todayIso());
      });
      setDraft({});
      setSaved(true);
      loop.soon(SyncLoop.AFTER_EDIT_MS);
    });
  return (
    <section>
      <h1>
        {t('reportTitle')} {monthVi(month)}
      </h1>
      {held && <StatusBadge phone={phone} doc={doc} item="report" />}
      <p class="muted">{report?.submittedOnVi ? `${t('submittedOn')} ${report.submittedOnVi}` : t('draft')}</p>
      <form
        class="report-form"
        onSubmit={(e) => {
          e.preventDefault();
          void save(false);
        }}
      >
        <label>
          {t('tasks')}
          <textarea name="tasks" rows={4} value={tasks} onInput={(e) => setDraft({ ...draft, tasks: e.currentTarget.value })} />
        </label>
        <label>
          {t('householdContent')}
          <textarea
            name="householdContent"
            rows={4}
            value={content}
            onInput={(e) => setDraft({ ...draft, householdContent: e.currentTarget.value })}
          />
        </label>
        <p class="label">{t('selfRating')}</p>
        <RatingPicker name="selfRating" value={rating} onChange={(r) => setDraft({ ...draft, selfRating: r })} />
        {conflicts.length > 0 && <p class="notice">{t('conflicts')}</p>}
        <div class="actions">
          <button disabled={busy}>{busy ? t('saving') : t('save')}</button>
          <button type="button" class="secondary" disabled={busy} onClick={() => void save(true)}>
            {t('submit')}
          </button>
        </div>
        <SavedLine saved={saved} />
        <ErrorLine error={error} />
      </form>
      <h2>{t('cellRating')}</h2>
      {report?.cellRating ? (
        <p>
          <strong>{codeLabel(report.cellRating, report.cellRatingLabel ?? '')}</strong>
          {report.cellComment && (
            <>
              <br />
              {t('cellComment')}: {report.cellComment}
            </>
          )}
        </p>
      ) : (
        <p class="muted">{t('notRatedYet')}</p>
      )}
    </section>
  );
}

function CellScreen({ phone, loop }: { phone: Phone; loop: SyncLoop }) {
  const cell = readCell(phone);
  const month = thisMonth();
  if (!cell) return <p>{t('noHouseholds')}</p>;
  const cellDoc = `c:${cell.id}`;
  const households = phone.replica.householdList(month);
  return (
    <section>
      <h1>{t('tabCell')}</h1>
      <h2>{t('members')}</h2>
      <ul class="roster">
        {cell.members.map((m) => (
          <li data-member={m.id}>
            <strong>{m.name}</strong> · {m.roleLabel}
            {m.status !== 'active' && ` · ${m.statusLabel}`}
            <span class="muted"> · {cell.assignments.filter((a) => a.member === m.id).length} hộ</span>
          </li>
        ))}
      </ul>
      <h2>{t('assign')}</h2>
      <ul class="assignments">
        {households.map((h) => (
          <li data-household={h.id}>
            <AssignRow phone={phone} cellDoc={cellDoc} cell={cell} household={h.id} head={h.head} assignee={h.assignee} loop={loop} />
          </li>
        ))}
      </ul>
      <h2>
        {t('reports')} {monthVi(month)}
      </h2>
      <ul class="reports">
        {cell.members.map((m) => (
          <li data-member={m.id}>
            <RateRow phone={phone} doc={reportDoc(m.id, month)} name={m.name} loop={loop} />
          </li>
        ))}
      </ul>
      <h2>{t('conflicts')}</h2>
      <Conflicts phone={phone} cell={cell} loop={loop} />
    </section>
  );
}

function AssignRow(props: { phone: Phone; cellDoc: string; cell: Cell; household: string; head: string; assignee: string | null; loop: SyncLoop }) {
  const { phone, cellDoc, cell, household, head, assignee, loop } = props;
  const [busy, error, run] = useAction();
  return (
    <>
      <label>
        {head}
        <select
          name="assignee"
          disabled={busy}
          value={assignee ?? ''}
          onChange={(e) => {
            const member = e.currentTarget.value || null;
            void run(async () => {
              await phone.edit(cellDoc, [`assign:${household}`], (r) =>
                r.assign(cellDoc, household, member, todayIso(), phone.identity.member),
              );
              loop.soon(SyncLoop.AFTER_EDIT_MS);
            });
          }}
        >
          <option value="">{t('unassigned')}</option>
          {cell.members.map((m) => (
            <option value={m.id}>{m.name}</option>
          ))}
        </select>
      </label>
      <StatusBadge phone={phone} doc={cellDoc} item={`assign:${household}`} />
      <ErrorLine error={error} />
    </>
  );
}

function RateRow({ phone, doc, name, loop }: { phone: Phone; doc: string; name: string; loop: SyncLoop }) {
  const report = phone.replica.documentIds().includes(doc) ? phone.replica.report(doc) : null;
  const [rating, setRating] = useState<RatingCode | null>(report?.cellRating ?? null);
  const [comment, setComment] = useState(report?.cellComment ?? '');
  const [saved, setSaved] = useState(false);
  const [busy, error, run] = useAction();
  if (!report) {
    return (
      <p>
        <strong>{name}</strong> · <span class="muted">{t('noReport')}</span>
      </p>
    );
  }
  return (
    <form
      class="rate-form"
      onSubmit={async (e) => {
        e.preventDefault();
        setSaved(false);
        const ok = await run(async () => {
          if (!rating) throw new Error(t('required'));
          await phone.edit(doc, ['rating'], (r) => r.rateReport(doc, rating, comment, phone.identity.member, todayIso()));
        });
        if (ok) {
          setSaved(true);
          loop.soon(SyncLoop.AFTER_EDIT_MS);
        }
      }}
    >
      <p>
        <strong>{name}</strong> · {report.submittedOnVi ? `${t('submittedOn')} ${report.submittedOnVi}` : t('draft')}
      </p>
      <p class="muted">
        {t('selfRating')}: {report.selfRating ? codeLabel(report.selfRating, report.selfRatingLabel ?? '') : '—'}
      </p>
      {report.tasks && <p class="text">{report.tasks}</p>}
      <RatingPicker name={`cellRating-${doc}`} value={rating} onChange={setRating} />
      <label>
        {t('cellComment')}
        <textarea name="comment" rows={2} value={comment} onInput={(e) => setComment(e.currentTarget.value)} />
      </label>
      <button disabled={busy}>{busy ? t('saving') : t('rate')}</button>
      <StatusBadge phone={phone} doc={doc} item="rating" />
      <SavedLine saved={saved} />
      <ErrorLine error={error} />
    </form>
  );
}

/** What a conflicting field is, in words. */
function fieldName(path: string[]): string {
  const last = path[path.length - 1];
  const names: Record<string, string> = {
    self_rating: t('selfRating'),
    cell_rating: t('cellRating'),
    head: 'Chủ hộ',
    village: 'Thôn, bản',
    people: t('people'),
    livelihood: 'Sinh kế',
  };
  return names[last] ?? path.join(' › ');
}

function docName(phone: Phone, cell: Cell | null, doc: string): string {
  if (doc.startsWith('h:') && phone.replica.documentIds().includes(doc)) return phone.replica.household(doc).head;
  const report = /^r:([^:]+):(\d{4}-\d{2})$/.exec(doc);
  if (report) return `${t('reportTitle')} ${monthVi(report[2])} · ${nameOf(cell, report[1])}`;
  if (doc.startsWith('c:')) return t('tabCell');
  return doc;
}

function Conflicts({ phone, cell, loop }: { phone: Phone; cell: Cell; loop: SyncLoop }) {
  const list = phone.replica.conflictList();
  const [busy, error, run] = useAction();
  if (list.length === 0) return <p>{t('noConflicts')}</p>;
  const label = (path: string[], value: string) => {
    const rated = path[path.length - 1]?.endsWith('rating');
    const known = rated ? ratings().find((r) => r.code === value) : undefined;
    return known ? codeLabel(known.code, known.label) : value;
  };
  return (
    <ul class="conflicts">
      {list.flatMap((d) =>
        d.conflicts.map((c) => (
          <li data-doc={d.docId} data-field={c.path.join('.')}>
            <p>
              <strong>{docName(phone, cell, d.docId)}</strong> · {fieldName(c.path)}
            </p>
            {c.values.map((v) => (
              <div class="choice">
                <span class="value">{label(c.path, v.value)}</span>
                <span class="muted">
                  {' '}
                  ({t('phone')} {v.actor.slice(0, 6)})
                </span>
                <button
                  class="secondary"
                  disabled={busy}
                  onClick={() =>
                    run(async () => {
                      await phone.edit(d.docId, ['settle'], (r) => r.settle(d.docId, c.path, v.value));
                      loop.soon(SyncLoop.AFTER_EDIT_MS);
                    })
                  }
                >
                  {t('choose')}
                </button>
              </div>
            ))}
          </li>
        )),
      )}
      <ErrorLine error={error} />
    </ul>
  );
}

function SyncScreen({ phone, loop }: { phone: Phone; loop: SyncLoop }) {
  const online = useOnline();
  const cell = readCell(phone);
  const pending = phone.replica.unsynced();
  const [busy, error, run] = useAction();
  const [qr, setQr] = useState<string[] | null>(null);
  const [qrIndex, setQrIndex] = useState(0);
  const [note, setNote] = useState<string | null>(null);
  const [scanning, setScanning] = useState(false);
  const collector = useRef(new PartCollector());
  const received = async (bytes: Uint8Array) => {
    const touched = await phone.importBundle(bytes);
    setNote(`${t('imported')} ${touched.map((d) => docName(phone, cell, d)).join(', ')}`);
    loop.soon(SyncLoop.AFTER_EDIT_MS);
  };
  useEffect(() => {
    if (!qr || qr.length < 2) return;
    const timer = setInterval(() => setQrIndex((i) => (i + 1) % qr.length), 1500);
    return () => clearInterval(timer);
  }, [qr]);
  return (
    <section>
      <h1>{t('tabSync')}</h1>
      <p>
        {online ? '' : `${t('offline')} · `}
        {t('lastSync')}: {phone.lastSync ? momentVi(phone.lastSync) : t('never')}
      </p>
      <button
        disabled={busy || phone.syncing || !online}
        onClick={() => run(() => loop.run().then(() => phone.lastError && Promise.reject(new ServerError(0, phone.lastError))))}
      >
        {phone.syncing ? t('syncing') : t('syncNow')}
      </button>
      <ErrorLine error={error ?? (phone.lastError ? `${t('syncFailed')}: ${phone.lastError}` : null)} />
      <h2>{t('pending')}</h2>
      {pending.length === 0 ? (
        <p data-testid="all-synced">{t('allSynced')}</p>
      ) : (
        <ul class="pending">
          {pending.map((doc) => (
            <li data-doc={doc}>
              {docName(phone, cell, doc)} <StatusBadge phone={phone} doc={doc} />
            </li>
          ))}
        </ul>
      )}
      <h2>{t('bundle')}</h2>
      <p class="muted">{t('bundleHelp')}</p>
      <div class="actions">
        <button
          class="secondary"
          onClick={() => {
            const bytes = phone.exportBundle();
            if (!bytes) return setNote(t('nothingToExport'));
            const url = URL.createObjectURL(new Blob([bytes as BlobPart], { type: 'application/octet-stream' }));
            const a = document.createElement('a');
            a.href = url;
            a.download = `hosync-${phone.identity.member}-${todayIso()}.hosync`;
            a.click();
            setTimeout(() => URL.revokeObjectURL(url), 10_000);
          }}
        >
          {t('exportFile')}
        </button>
        <button
          class="secondary"
          onClick={() => {
            const bytes = phone.exportBundle();
            if (!bytes) return setNote(t('nothingToExport'));
            const parts = bundleParts(bytes);
            if (!parts) return setNote(t('qrTooLarge'));
            setQrIndex(0);
            setQr(parts);
          }}
        >
          {t('showQr')}
        </button>
        <label class="button secondary">
          {t('importFile')}
          <input
            type="file"
            name="bundle"
            hidden
            onChange={(e) => {
              const file = e.currentTarget.files?.[0];
              if (file) void run(async () => received(new Uint8Array(await file.arrayBuffer())));
              e.currentTarget.value = '';
            }}
          />
        </label>
        {qrDetector() && (
          <button class="secondary" onClick={() => setScanning(!scanning)}>
            {t('scanQr')}
          </button>
        )}
      </div>
      {note && (
        <p class="notice" role="status">
          {note}
        </p>
      )}
      {qr && (
        <figure class="qr">
          <div dangerouslySetInnerHTML={{ __html: qrSvg(qr[qrIndex]) }} />
          <figcaption>
            {t('qrPart')} {qrIndex + 1}/{qr.length}
          </figcaption>
        </figure>
      )}
      {scanning && (
        <>
          <Scanner
            onText={(text) => {
              const bytes = collector.current.add(text);
              setNote(collector.current.progress);
              if (!bytes) return false;
              setScanning(false);
              void run(() => received(bytes));
              return true;
            }}
          />
        </>
      )}
      <p class="muted device" data-device={phone.identity.device}>
        {t('signedInAs')}: {phone.identity.name} ({phone.identity.member}) · {phone.identity.device}
      </p>
      <LanguageSwitch />
    </section>
  );
}

export function Centered({ children }: { children: ComponentChildren }) {
  return <main class="screen centered">{children}</main>;
}
