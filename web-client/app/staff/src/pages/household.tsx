// One household as merged on the server: who heads it and who looks after it, the visit
// notes, the flags, and the full history of who changed what and when. Staff only read here;
// the notes are written on members' phones.

import { api, type HouseholdDetail } from '../api';
import { dateVi, num } from '../format';
import { href } from '../route';
import { Breadcrumb, ExportLinks, Load, useLoad } from '../ui';
import { tr } from '../i18n';

export function HouseholdPage({ id }: { id: string }) {
  const result = useLoad(() => api.household(id), [id]);
  return <Load result={result}>{(h) => <HouseholdView h={h} />}</Load>;
}

function HouseholdView({ h }: { h: HouseholdDetail }) {
  const trail = h.breadcrumb ?? (h.cell ? [h.cell] : []);
  const notes = [...h.notes].sort((a, b) => b.date.localeCompare(a.date));
  const history = h.history ?? [];
  // What still needs action comes first; the order within each group is the server's.
  const flags = [...h.flags].sort((a, b) => Number(b.open) - Number(a.open));
  return (
    <section class="household" data-household={h.id}>
      <Breadcrumb units={trail} last={tr.householdOf(h.head)} />
      <h1>{tr.householdOf(h.head)}</h1>
      {h.closed && (
        <p class="notice" data-closed={h.closed.reason}>
          {tr.closed(dateVi(h.closed.on), `${h.closed.reason_label}${h.closed.detail ? ` (${h.closed.detail})` : ''}`, h.closed.by_name)}
        </p>
      )}
      <dl class="details">
        <dt>{tr.head}</dt>
        <dd>{h.head}</dd>
        <dt>{tr.village}</dt>
        <dd>{h.village || '—'}</dd>
        {h.cell && (
          <>
            <dt>{tr.cell}</dt>
            <dd>
              <a href={href.overview(h.cell.id)}>{h.cell.name}</a>
            </dd>
          </>
        )}
        <dt>{tr.assignedMember}</dt>
        <dd>{h.assigned_name ?? h.assigned_member ?? tr.notAssigned}</dd>
        <dt>{tr.people}</dt>
        <dd>{h.people === null || h.people === undefined ? '—' : num(h.people)}</dd>
        <dt>{tr.livelihood}</dt>
        <dd>{h.livelihood || '—'}</dd>
        {h.tags.length > 0 && (
          <>
            <dt>{tr.tags}</dt>
            <dd>
              {h.tags.map((t) => (
                <span class="badge">{t}</span>
              ))}
            </dd>
          </>
        )}
      </dl>
      {h.conflicts.length > 0 && (
        <p class="notice">{tr.conflicts(num(h.conflicts.length))}</p>
      )}

      <div class="two">
        <section class="panel">
          <h2>{tr.visitNotes(num(notes.filter((n) => !n.deleted).length))}</h2>
          {notes.length === 0 && <p class="muted">{tr.noNotes}</p>}
          <ul class="notes">
            {notes.map((n) => (
              <li class={n.deleted ? 'deleted' : ''} data-note={n.id}>
                <div class="muted">
                  {dateVi(n.date)} · {n.author_name ?? n.author}
                  {n.deleted && tr.noteDeleted}
                </div>
                <p class="text">{n.text}</p>
                {n.topics.length > 0 && (
                  <div>
                    {n.topics.map((t) => (
                      <span class="badge">{t}</span>
                    ))}
                  </div>
                )}
              </li>
            ))}
          </ul>
        </section>
        <section class="panel">
          <h2>{tr.flagsOf(num(h.flags.length))}</h2>
          {h.flags.length === 0 && <p class="muted">{tr.noFlags}</p>}
          <ul class="flags">
            {flags.map((f) => (
              <li data-flag={f.id} data-status={f.status} data-open={String(f.open)}>
                <span class={`badge status-${f.status}`}>{f.status_label}</span>
                <p class="text">{f.text}</p>
                <div class="muted">
                  {tr.raisedOn(f.raised_by_name ?? f.raised_by, dateVi(f.raised_on))}
                </div>
              </li>
            ))}
          </ul>
        </section>
      </div>

      <section class="panel" data-section="history">
        <div class="panel-head">
          <h2>{tr.history}</h2>
          <span class="no-print">
            <a href={href.table('history', { household: h.id })}>{tr.fullTable}</a> <ExportLinks table="history" query={{ household: h.id }} />
          </span>
        </div>
        {history.length === 0 ? (
          <p class="muted">{tr.noHistory}</p>
        ) : (
          <table class="history">
            <thead>
              <tr>
                <th scope="col">{tr.date}</th>
                <th scope="col">{tr.time}</th>
                <th scope="col">{tr.actor}</th>
                <th scope="col">{tr.content}</th>
              </tr>
            </thead>
            <tbody>
              {history.map((e) => (
                <tr>
                  <td>{dateVi(e.date)}</td>
                  <td>{e.time}</td>
                  <td>{e.who}</td>
                  <td>{e.what}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </section>
    </section>
  );
}
