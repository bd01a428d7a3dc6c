// My households (or the cell's, for a secretary) and one household: its notes, newest first,
// with who wrote each, and its follow-up flags.

import { useEffect, useState } from 'preact/hooks';
import { closedReasons, flagStatuses, type ClosedReasonCode, type FlagStatusCode, type Household } from 'hosync-web';
import type { Phone } from '../phone';
import { t, codeLabel, labelIn, type Key } from '../i18n';
import { todayIso, thisMonth, monthVi } from '../dates';
import { ErrorLine, SavedLine, StatusBadge, nameOf, readCell, useAction } from '../ui';

export function Households({ phone }: { phone: Phone }) {
  const month = thisMonth();
  const cell = readCell(phone);
  const all = phone.householdList(month);
  // A member's phone lists what they look after (core says which those are); a secretary's or
  // a committee's, all it holds.
  const open = all.filter((h) => !h.closed);
  const mine = phone.isMember ? open.filter((h) => h.mine) : open;
  // A closed household (moved away, merged) is kept with its notes; the secretary may open it
  // again, so their list keeps it apart at the end.
  const closed = phone.isSecretary ? all.filter((h) => h.closed) : [];
  // Marks the moment the first screen with data is up, for the phone benchmark.
  useEffect(() => void performance.mark('hosync:households'), []);
  return (
    <section>
      <h1>{phone.isMember ? t('myHouseholds') : t('cellHouseholds')}</h1>
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
              {!phone.isMember && (
                <span class="muted">
                  {t('assignedTo')}: {nameOf(cell, h.assignee)}
                </span>
              )}
              <StatusBadge phone={phone} doc={h.docId} />
            </a>
          </li>
        ))}
      </ul>
      {closed.length > 0 && (
        <details class="closed-households">
          <summary>
            {t('closedHouseholds')} ({closed.length})
          </summary>
          <ul class="cards">
            {closed.map((h) => (
              <li>
                <a href={`#/h/${encodeURIComponent(h.docId)}`} class="card closed" data-household={h.id}>
                  <strong>{h.head}</strong>
                  <span class="muted">{h.village}</span>
                </a>
              </li>
            ))}
          </ul>
        </details>
      )}
    </section>
  );
}

export function HouseholdScreen({ phone, doc }: { phone: Phone; doc: string }) {
  useEffect(() => phone.opened(doc), [phone, doc]);
  if (!phone.holds(doc)) {
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
      {household.closed && (
        <p class="notice" data-closed={household.closed.reason}>
          {t('closedNotice')} {household.closed.onVi}: {labelIn(closedReasons(), household.closed.reason)}
          {household.closed.detail && ` (${household.closed.detail})`}
        </p>
      )}
      {phone.isSecretary && <HouseholdAdmin phone={phone} doc={doc} household={household} />}
      {!household.closed && <NoteForm phone={phone} doc={doc} />}
      <h2>{t('notes')}</h2>
      {notes.length === 0 && <p>{t('noNotes')}</p>}
      <ul class="notes">
        {notes.map((note) => (
          <li key={note.id} class={note.deleted ? 'note deleted' : 'note'} data-note={note.id}>
            <NoteItem phone={phone} doc={doc} note={note} author={nameOf(cell, note.author)} />
          </li>
        ))}
      </ul>
      <h2>{t('flags')}</h2>
      {!household.closed && <FlagForm phone={phone} doc={doc} />}
      {flags.length === 0 && <p>{t('noFlags')}</p>}
      <ul class="flags">
        {flags.map((flag) => (
          <li key={flag.id} class={`flag ${flag.status}`} data-flag={flag.id}>
            <p class="text">{flag.text}</p>
            <p class="muted">
              {labelIn(flagStatuses(), flag.status)} · {t('raisedOn')} {flag.raisedOnVi} · {nameOf(cell, flag.raisedBy)}
            </p>
            <StatusBadge phone={phone} doc={doc} item={`flag:${flag.id}`} />
            <div class="actions">
              {flag.moves.map((to) => (
                <FlagAction phone={phone} doc={doc} flag={flag.id} to={to} label={t(MOVE_LABELS[to])} />
              ))}
            </div>
          </li>
        ))}
      </ul>
    </section>
  );
}

/** The button that moves a flag to a status, named by what it does; core says which to offer. */
const MOVE_LABELS = { escalated: 'escalate', resolved: 'resolve', open: 'reopen' } as const satisfies Record<FlagStatusCode, Key>;

function FlagAction(props: { phone: Phone; doc: string; flag: string; to: FlagStatusCode; label: string }) {
  const { phone, doc, flag, to, label } = props;
  const [busy, error, run] = useAction();
  return (
    <>
      <button
        class="secondary"
        disabled={busy}
        onClick={() =>
          run(async () => {
            await phone.edit(doc, [`flag:${flag}`], (r) => r.setFlagStatus(doc, flag, to, phone.identity.member, todayIso()));
          })
        }
      >
        {label}
      </button>
      <ErrorLine error={error} />
    </>
  );
}

function NoteForm({ phone, doc }: { phone: Phone; doc: string }) {
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

function NoteItem(props: { phone: Phone; doc: string; note: Household['notes'][number]; author: string }) {
  const { phone, doc, note, author } = props;
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

function FlagForm({ phone, doc }: { phone: Phone; doc: string }) {
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

/** The secretary's part of a household: its details, closing it (moved away, merged) or opening it again. */
function HouseholdAdmin({ phone, doc, household }: { phone: Phone; doc: string; household: Household }) {
  const [editing, setEditing] = useState(false);
  const [closing, setClosing] = useState(false);
  const [busy, error, run] = useAction();
  if (household.closed) {
    return (
      <div class="actions">
        <button
          class="secondary"
          name="reopen"
          disabled={busy}
          onClick={() => run(() => phone.edit(doc, ['closed'], (r) => r.reopenHousehold(doc)))}
        >
          {t('reopenHousehold')}
        </button>
        <StatusBadge phone={phone} doc={doc} item="closed" />
        <ErrorLine error={error} />
      </div>
    );
  }
  return (
    <div class="household-admin">
      {editing ? (
        <ProfileForm phone={phone} doc={doc} household={household} done={() => setEditing(false)} />
      ) : closing ? (
        <CloseForm phone={phone} doc={doc} done={() => setClosing(false)} />
      ) : (
        <div class="actions">
          <button class="secondary" name="edit-details" onClick={() => setEditing(true)}>
            {t('editDetails')}
          </button>
          <button class="secondary" name="close-household" onClick={() => setClosing(true)}>
            {t('closeHousehold')}
          </button>
          <StatusBadge phone={phone} doc={doc} item="profile" />
        </div>
      )}
    </div>
  );
}

/** A household's details as the form holds them; also the form for a new household. */
export interface ProfileFields {
  head: string;
  village: string;
  people: string;
  livelihood: string;
}

/** The profile fields as core takes them; a number of people that is not one is refused here. */
export function profileUpdate(fields: ProfileFields) {
  const people = fields.people.trim() === '' ? null : Number(fields.people);
  if (people !== null && (!Number.isInteger(people) || people < 0)) throw new Error(`${t('peopleCount')}: ${fields.people}`);
  return { head: fields.head.trim(), village: fields.village.trim(), people, livelihood: fields.livelihood.trim() };
}

export function ProfileInputs({ fields, set }: { fields: ProfileFields; set: (f: ProfileFields) => void }) {
  const input = (key: keyof ProfileFields, label: string, type = 'text') => (
    <label>
      {label}
      <input
        type={type}
        name={key}
        value={fields[key]}
        min={type === 'number' ? 0 : undefined}
        onInput={(e) => set({ ...fields, [key]: e.currentTarget.value })}
      />
    </label>
  );
  return (
    <>
      {input('head', t('head'))}
      {input('village', t('village'))}
      {input('people', t('peopleCount'), 'number')}
      {input('livelihood', t('livelihood'))}
    </>
  );
}

function ProfileForm(props: { phone: Phone; doc: string; household: Household; done: () => void }) {
  const { phone, doc, household, done } = props;
  const [fields, setFields] = useState<ProfileFields>({
    head: household.head,
    village: household.village,
    people: String(household.people),
    livelihood: household.livelihood,
  });
  const [busy, error, run] = useAction();
  return (
    <form
      class="profile-form"
      onSubmit={async (e) => {
        e.preventDefault();
        const ok = await run(async () => {
          const update = profileUpdate(fields);
          await phone.edit(doc, ['profile'], (r) => r.updateProfile(doc, update));
        });
        if (ok) done();
      }}
    >
      <ProfileInputs fields={fields} set={setFields} />
      <button disabled={busy}>{busy ? t('saving') : t('save')}</button>
      <button type="button" class="secondary" onClick={done}>
        {t('cancel')}
      </button>
      <ErrorLine error={error} />
    </form>
  );
}

function CloseForm({ phone, doc, done }: { phone: Phone; doc: string; done: () => void }) {
  const reasons = closedReasons();
  const [reason, setReason] = useState<ClosedReasonCode>(reasons[0]?.code ?? 'moved_away');
  const [detail, setDetail] = useState('');
  const [on, setOn] = useState(todayIso());
  const [busy, error, run] = useAction();
  return (
    <form
      class="close-form"
      onSubmit={async (e) => {
        e.preventDefault();
        const ok = await run(() =>
          phone.edit(doc, ['closed'], (r) => r.closeHousehold(doc, reason, detail.trim(), on, phone.identity.member)),
        );
        if (ok) done();
      }}
    >
      <h2>{t('closeHousehold')}</h2>
      <p class="muted">{t('closeHelp')}</p>
      <label>
        {t('closedReason')}
        <select name="reason" value={reason} onChange={(e) => setReason(e.currentTarget.value as ClosedReasonCode)}>
          {reasons.map((r) => (
            <option value={r.code}>{codeLabel(r)}</option>
          ))}
        </select>
      </label>
      <label>
        {t('closedDetail')}
        <input name="detail" value={detail} onInput={(e) => setDetail(e.currentTarget.value)} />
      </label>
      <label>
        {t('closedOn')}
        <input type="date" name="on" value={on} max={todayIso()} onInput={(e) => setOn(e.currentTarget.value)} />
      </label>
      <button disabled={busy}>{busy ? t('saving') : t('closeHousehold')}</button>
      <button type="button" class="secondary" onClick={done}>
        {t('cancel')}
      </button>
      <ErrorLine error={error} />
    </form>
  );
}
