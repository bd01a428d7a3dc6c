// The member's monthly report: what was done, the household work, the self-rating; saved as a
// draft or handed in; the cell's rating once it comes.

import { useState } from 'preact/hooks';
import { ratings, reportDocId, type MonthlyReport, type ReportDraft } from 'hosync-web';
import type { Phone } from '../phone';
import { t, labelIn } from '../i18n';
import { todayIso, thisMonth, monthVi } from '../dates';
import { ErrorLine, RatingPicker, SavedLine, StatusBadge, useAction } from '../ui';

export function ReportScreen({ phone }: { phone: Phone }) {
  const month = thisMonth();
  const doc = reportDocId(phone.identity.member, month);
  const held = phone.holds(doc);
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
    });
  return (
    <section>
      <h1>
        {t('reportTitle')} {monthVi(month)}
      </h1>
      {held && <StatusBadge phone={phone} doc={doc} item="report" />}
      <p class="muted">{report?.state === 'handed_in' ? `${t('submittedOn')} ${report.submittedOnVi}` : t('draft')}</p>
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
          <strong>{labelIn(ratings(), report.cellRating)}</strong>
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
