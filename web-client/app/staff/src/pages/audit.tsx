// The audit log within the account's scope, filtered by who, what, when (from, to) and unit.
// The filters live in the address (`#/audit?actor=…&action=…&since=…&until=…&unit=…`), so a
// filtered view can be bookmarked; the server applies them.

import { useState } from 'preact/hooks';
import { admin } from '../admin-api';
import { ErrorView, Load, useLoad } from '../ui';

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
      <h1>Nhật ký hệ thống</h1>
      <p class="muted">Ai đã xem, xuất, kích hoạt, thu hồi hay thay đổi gì, và khi nào; chỉ những mục thuộc phạm vi của bạn.</p>
      <form
        class="panel filters"
        data-form="audit"
        onSubmit={(e) => {
          e.preventDefault();
          location.hash = toHash(draft);
        }}
      >
        <label>
          Người thực hiện (tên đăng nhập)
          {input('actor')}
        </label>
        <label>
          Việc
          <select name="action" value={draft.action ?? ''} onChange={(e) => setDraft({ ...draft, action: e.currentTarget.value })}>
            <option value="">Tất cả</option>
            {actions.state === 'ok' && actions.data.map((a) => <option value={a.code}>{a.label}</option>)}
          </select>
        </label>
        <label>
          Từ ngày
          {input('since', 'date')}
        </label>
        <label>
          Đến ngày
          {input('until', 'date')}
        </label>
        <label>
          Đơn vị (mã)
          {input('unit')}
        </label>
        <button>Lọc</button>
        <a href="#/audit" onClick={() => setDraft({})}>
          Bỏ lọc
        </a>
      </form>
      {actions.state === 'error' && <ErrorView error={actions.error} />}
      <Load result={rows}>
        {(list) => (
          <>
            <p class="row-count" data-testid="audit-count">
              {list.length} mục
            </p>
            <table class="audit-log">
              <thead>
                <tr>
                  <th>Thời gian</th>
                  <th>Người thực hiện</th>
                  <th>Việc</th>
                  <th>Đối tượng</th>
                  <th>Chi tiết</th>
                  <th>Đơn vị</th>
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
                    <td>{r.unit ?? 'Toàn hệ thống'}</td>
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
