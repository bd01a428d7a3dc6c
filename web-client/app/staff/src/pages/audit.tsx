// The audit log within the account's scope, filtered by who, what, when (from, to) and unit.
// The filters live in the address (`#/audit?actor=…&action=…&since=…&until=…&unit=…`), so a
// filtered view can be bookmarked; the server applies them.

import { useState } from 'preact/hooks';
import { admin } from '../admin-api';
import { ErrorView, Load, useLoad } from '../ui';
import { tr } from '../i18n';

export type AuditFilters = { actor?: string; action?: string; since?: string; until?: string; unit?: string };

const FIELDS: (keyof AuditFilters)[] = ['actor', 'action', 'since', 'until', 'unit'];

function toHash(f: AuditFilters): string {
  const q = new URLSearchParams();
  for (const k of FIELDS) if (f[k]) q.set(k, f[k] as string);
  const qs = q.toString();
  return `#/audit${qs ? `?${qs}` : ''}`;
}

export function AuditPage({ filters }: { filters: AuditFilters }) {
  const [draft, setDraft] = useState<AuditFilters>(filters);
  const actions = useLoad(() => admin.auditActions(), []);
  const key = FIELDS.map((k) => filters[k] ?? '').join('|');
  const rows = useLoad(() => admin.audit({ ...filters, limit: '500' }), [key]);
  const input = (k: keyof AuditFilters, type = 'text') => (
    <input name={k} type={type} value={draft[k] ?? ''} onInput={(e) => setDraft({ ...draft, [k]: e.currentTarget.value })} />
  );
  return (
    <section class="audit">
      <h1>{tr.auditTitle}</h1>
      <p class="muted">{tr.auditHelp}</p>
      <form
        class="panel filters"
        data-form="audit"
        onSubmit={(e) => {
          e.preventDefault();
          location.hash = toHash(draft);
        }}
      >
        <label>
          {tr.actorLogin}
          {input('actor')}
        </label>
        <label>
          {tr.action}
          <select name="action" value={draft.action ?? ''} onChange={(e) => setDraft({ ...draft, action: e.currentTarget.value })}>
            <option value="">{tr.all}</option>
            {actions.state === 'ok' && actions.data.map((a) => <option value={a.code}>{a.label}</option>)}
          </select>
        </label>
        <label>
          {tr.since}
          {input('since', 'date')}
        </label>
        <label>
          {tr.until}
          {input('until', 'date')}
        </label>
        <label>
          {tr.auditUnit}
          {input('unit')}
        </label>
        <button>{tr.filter}</button>
        <a href="#/audit" onClick={() => setDraft({})}>
          {tr.clearFilter}
        </a>
      </form>
      {actions.state === 'error' && <ErrorView error={actions.error} />}
      <Load result={rows}>
        {(list) => (
          <>
            <p class="row-count" data-testid="audit-count">
              {tr.entries(list.length)}
            </p>
            <table class="audit-log">
              <thead>
                <tr>
                  <th>{tr.at}</th>
                  <th>{tr.actor}</th>
                  <th>{tr.action}</th>
                  <th>{tr.target}</th>
                  <th>{tr.detail}</th>
                  <th>{tr.unit}</th>
                </tr>
              </thead>
              <tbody>
                {[...list].reverse().map((r) => (
                  <tr data-action={r.action}>
                    <td>{r.time}</td>
                    <td>{r.actor}</td>
                    <td>{r.action_label}</td>
                    <td>{r.target}</td>
                    <td>{r.detail}</td>
                    <td>{r.unit ?? tr.wholeSystem}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </>
        )}
      </Load>
    </section>
  );
}
