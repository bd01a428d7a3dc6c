// The secretary's cell: members, assignments, the month's reports to rate, conflicts to settle.

import { useEffect, useState } from 'preact/hooks';
import { memberStatuses, ratings, reportDocId, roles, type Cell, type MemberStatusCode, type RatingCode } from 'hosync-web';
import type { Phone, RecoveryRequest } from '../phone';
import { t, labelIn } from '../i18n';
import { todayIso, thisMonth, monthVi } from '../dates';
import { ProfileInputs, profileUpdate, type ProfileFields } from './households';
import { qrSvg } from '../qr';
import { ErrorLine, RatingPicker, SavedLine, StatusBadge, docName, readCell, useAction } from '../ui';

export function CellScreen({ phone }: { phone: Phone }) {
  const cell = readCell(phone);
  const month = thisMonth();
  if (!cell) return <p>{t('noHouseholds')}</p>;
  const cellDoc = cell.docId;
  const households = phone.householdList(month);
  return (
    <section>
      <h1>{t('tabCell')}</h1>
      <h2>{t('members')}</h2>
      <ul class="roster">
        {cell.members.map((m) => (
          <li data-member={m.id}>
            <strong>{m.name}</strong> · {labelIn(roles(), m.role)}
            {m.status !== 'active' && ` · ${labelIn(memberStatuses(), m.status)}`}
            <span class="muted"> · {cell.assignments.filter((a) => a.member === m.id).length} hộ</span>
            <MemberStatusForm phone={phone} cellDoc={cellDoc} member={m} />
            {m.id !== phone.identity.member && <IssueCode phone={phone} member={m.id} />}
          </li>
        ))}
      </ul>
      <Recoveries phone={phone} />
      <AddHousehold phone={phone} />
      <h2>{t('assign')}</h2>
      <ul class="assignments">
        {households.filter((h) => !h.closed).map((h) => (
          <li data-household={h.id}>
            <AssignRow phone={phone} cellDoc={cellDoc} cell={cell} household={h.id} head={h.head} assignee={h.assignee} />
          </li>
        ))}
      </ul>
      <h2>
        {t('reports')} {monthVi(month)}
      </h2>
      <ul class="reports">
        {cell.members.map((m) => (
          <li data-member={m.id}>
            <RateRow phone={phone} doc={reportDocId(m.id, month)} name={m.name} />
          </li>
        ))}
      </ul>
      <h2>{t('conflicts')}</h2>
      <Conflicts phone={phone} cell={cell} />
    </section>
  );
}

function AssignRow(props: { phone: Phone; cellDoc: string; cell: Cell; household: string; head: string; assignee: string | null }) {
  const { phone, cellDoc, cell, household, head, assignee } = props;
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

function RateRow({ phone, doc, name }: { phone: Phone; doc: string; name: string }) {
  const report = phone.holds(doc) ? phone.replica.report(doc) : null;
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
        }
      }}
    >
      <p>
        <strong>{name}</strong> · {report.state === 'handed_in' ? `${t('submittedOn')} ${report.submittedOnVi}` : t('draft')}
      </p>
      <p class="muted">
        {t('selfRating')}: {report.selfRating ? labelIn(ratings(), report.selfRating) : '—'}
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

function Conflicts({ phone, cell }: { phone: Phone; cell: Cell }) {
  const list = phone.replica.conflictList();
  const [busy, error, run] = useAction();
  if (list.length === 0) return <p>{t('noConflicts')}</p>;
  const label = (path: string[], value: string) => {
    const rated = path[path.length - 1]?.endsWith('rating');
    return rated ? labelIn(ratings(), value) : value;
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

/** A family moved into the village: the secretary adds its household, offline if need be. */
function AddHousehold({ phone }: { phone: Phone }) {
  const empty: ProfileFields = { head: '', village: '', people: '', livelihood: '' };
  const [open, setOpen] = useState(false);
  const [fields, setFields] = useState(empty);
  const [busy, error, run] = useAction();
  if (!open) {
    return (
      <button class="secondary" name="add-household" onClick={() => setOpen(true)}>
        {t('addHousehold')}
      </button>
    );
  }
  return (
    <form
      class="add-household"
      onSubmit={async (e) => {
        e.preventDefault();
        let doc = '';
        const ok = await run(async () => {
          const profile = profileUpdate(fields);
          doc = await phone.create((r) => r.createHousehold(profile));
        });
        if (ok) {
          setFields(empty);
          setOpen(false);
          location.hash = `#/h/${encodeURIComponent(doc)}`;
        }
      }}
    >
      <h2>{t('addHousehold')}</h2>
      <p class="muted">{t('addHouseholdHelp')}</p>
      <ProfileInputs fields={fields} set={setFields} />
      <button disabled={busy}>{busy ? t('saving') : t('add')}</button>
      <button type="button" class="secondary" onClick={() => setOpen(false)}>
        {t('cancel')}
      </button>
      <ErrorLine error={error} />
    </form>
  );
}

const STATUS_LABELS = { active: 'statusActive', working_away: 'statusAway', exempt: 'statusExempt' } as const;

/** Marks a member working away (where, since when), exempt (why), or back. */
function MemberStatusForm(props: { phone: Phone; cellDoc: string; member: Cell['members'][number] }) {
  const { phone, cellDoc, member } = props;
  const [status, setStatus] = useState<MemberStatusCode>(member.status);
  const [detail, setDetail] = useState(member.statusDetail ?? '');
  const [saved, setSaved] = useState(false);
  const [busy, error, run] = useAction();
  return (
    <form
      class="member-status"
      onSubmit={async (e) => {
        e.preventDefault();
        setSaved(false);
        const ok = await run(() =>
          phone.edit(cellDoc, [`member:${member.id}`], (r) =>
            r.setMemberStatus(cellDoc, member.id, status, status === 'active' ? '' : detail.trim()),
          ),
        );
        if (ok) setSaved(true);
      }}
    >
      <label>
        {t('memberStatus')}
        <select name="status" value={status} onChange={(e) => setStatus(e.currentTarget.value as MemberStatusCode)}>
          {(Object.keys(STATUS_LABELS) as MemberStatusCode[]).map((code) => (
            <option value={code}>{t(STATUS_LABELS[code])}</option>
          ))}
        </select>
      </label>
      {status !== 'active' && (
        <label>
          {status === 'working_away' ? t('statusDetailAway') : t('statusDetailExempt')}
          <input name="detail" value={detail} onInput={(e) => setDetail(e.currentTarget.value)} />
        </label>
      )}
      <button class="secondary" disabled={busy}>
        {busy ? t('saving') : t('save')}
      </button>
      <StatusBadge phone={phone} doc={cellDoc} item={`member:${member.id}`} />
      <SavedLine saved={saved} />
      <ErrorLine error={error} />
    </form>
  );
}

/** A one-time enrolment code for a member's phone, issued online from the secretary's phone. */
function IssueCode({ phone, member }: { phone: Phone; member: string }) {
  const [code, setCode] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  return (
    <div class="issue-code">
      <button
        type="button"
        class="secondary"
        data-action="issue-code"
        onClick={async () => {
          setError(null);
          try {
            setCode((await phone.issueCode(member)).code);
          } catch (e) {
            setError(e instanceof Error ? e.message : String(e));
          }
        }}
      >
        {t('issueCode')}
      </button>
      {code && (
        <div role="status">
          <p class="muted">{t('issueCodeHelp')}</p>
          <p class="code" data-testid="issued-code">
            {code}
          </p>
          <span class="qr" dangerouslySetInnerHTML={{ __html: qrSvg(`hosync:enrol:${code}`) }} />
        </div>
      )}
      <ErrorLine error={error} />
    </div>
  );
}

/** Members' requests to recover a phone whose PIN they forgot, approved here online. */
function Recoveries({ phone }: { phone: Phone }) {
  const [requests, setRequests] = useState<RecoveryRequest[] | null>(null);
  const [approved, setApproved] = useState<string[]>([]);
  const [error, setError] = useState<string | null>(null);
  const load = () => {
    if (!navigator.onLine) return setError(t('recoveriesNeedNetwork'));
    phone.recoveries().then(
      (list) => {
        setError(null);
        setRequests(list);
      },
      (e) => setError(e instanceof Error ? e.message : String(e)),
    );
  };
  useEffect(load, [phone]);
  return (
    <section class="recoveries">
      <h2>{t('recoveries')}</h2>
      {requests?.length === 0 && <p class="muted">{t('noRecoveries')}</p>}
      <ul>
        {requests?.map((r) => (
          <li data-device={r.device}>
            <strong>{r.member_name}</strong> · {r.label}
            {approved.includes(r.device) ? (
              <span class="saved"> · {t('approved')}</span>
            ) : (
              <button
                type="button"
                onClick={async () => {
                  try {
                    await phone.approveRecovery(r.device);
                    setApproved([...approved, r.device]);
                  } catch (e) {
                    setError(e instanceof Error ? e.message : String(e));
                  }
                }}
              >
                {t('approve')}
              </button>
            )}
          </li>
        ))}
      </ul>
      <ErrorLine error={error} />
    </section>
  );
}
