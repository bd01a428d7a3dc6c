// The phones within the account's scope: holder, label, last sync, app version, revoked or
// locked; a lost phone revoked after a confirmation (its next sync erases the data on it);
// members' requests to recover a phone whose PIN they forgot, approved here.

import { useRef, useState } from 'preact/hooks';
import { admin, type Device, type PendingRecovery } from '../admin-api';
import { dateVi } from '../format';
import { ErrorView, Load, useLoad } from '../ui';

function when(at: number | null): string {
  if (at === null) return 'chưa đồng bộ';
  const d = new Date((at + 7 * 3600) * 1000).toISOString();
  return `${dateVi(d.slice(0, 10))} ${d.slice(11, 16)}`;
}

function state(d: Device): string {
  if (d.revoked_at !== null) return `Đã thu hồi ${when(d.revoked_at)}`;
  if (d.locked) return 'Đã khóa (lâu không đồng bộ)';
  return 'Đang dùng';
}

export function DevicesPage({ unit }: { unit?: string }) {
  const [version, setVersion] = useState(0);
  const [error, setError] = useState<unknown>(null);
  const [asked, setAsked] = useState<Device | null>(null);
  const [filter, setFilter] = useState('');
  const dialog = useRef<HTMLDialogElement>(null);
  const devices = useLoad(() => admin.devices(unit), [unit, version]);
  const ask = (d: Device) => {
    setAsked(d);
    dialog.current?.showModal();
  };
  const revoke = async () => {
    if (!asked) return;
    setError(null);
    try {
      await admin.revoke(asked.id);
      setVersion(version + 1);
    } catch (e) {
      setError(e);
    } finally {
      dialog.current?.close();
      setAsked(null);
    }
  };
  return (
    <section class="devices">
      <h1>Thiết bị</h1>
      <p class="muted">Điện thoại đã kích hoạt trong phạm vi của bạn. Thu hồi một điện thoại bị mất: lần đồng bộ tới, dữ liệu trên máy bị xóa.</p>
      {error !== null && <ErrorView error={error} />}
      <Recoveries />
      <label class="filter">
        Lọc theo tên, mã hoặc đơn vị{' '}
        <input name="filter" value={filter} onInput={(e) => setFilter(e.currentTarget.value)} />
      </label>
      <Load result={devices}>
        {(list) => {
          const q = filter.trim().toLowerCase();
          const shown = q ? list.filter((d) => [d.name, d.holder, d.unit, d.label, d.id].some((v) => v.toLowerCase().includes(q))) : list;
          return (
            <table class="device-list">
              <thead>
                <tr>
                  <th>Người giữ</th>
                  <th>Đơn vị</th>
                  <th>Tên máy</th>
                  <th>Lần đồng bộ cuối</th>
                  <th>Phiên bản ứng dụng</th>
                  <th>Trạng thái</th>
                  <th></th>
                </tr>
              </thead>
              <tbody>
                {shown.map((d) => (
                  <tr data-device={d.id} data-holder={d.holder} class={d.revoked_at !== null ? 'revoked' : ''}>
                    <td>
                      {d.name} ({d.holder})
                    </td>
                    <td>{d.unit}</td>
                    <td>{d.label}</td>
                    <td data-col="last-sync">{when(d.last_sync_at)}</td>
                    <td data-col="app-version">{d.app_version ?? '—'}</td>
                    <td data-col="state">{state(d)}</td>
                    <td>
                      {d.revoked_at === null && (
                        <button class="secondary" data-action="revoke" onClick={() => ask(d)}>
                          Thu hồi
                        </button>
                      )}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          );
        }}
      </Load>
      <dialog class="confirm" ref={dialog} onClose={() => setAsked(null)}>
        {asked && (
          <>
            <h2>Thu hồi thiết bị?</h2>
            <p>
              Điện thoại «{asked.label}» của {asked.name} sẽ bị xóa dữ liệu ở lần đồng bộ tới và không đồng bộ được nữa. Không thể hoàn tác; muốn dùng
              lại phải cấp mã kích hoạt mới.
            </p>
            <div class="toolbar">
              <button class="secondary" onClick={() => dialog.current?.close()}>
                Hủy
              </button>
              <button data-action="confirm-revoke" onClick={revoke}>
                Thu hồi thiết bị
              </button>
            </div>
          </>
        )}
      </dialog>
    </section>
  );
}

/** Pending PIN recoveries the account may approve; the phone gets its key at its next ask. */
function Recoveries() {
  const [version, setVersion] = useState(0);
  const [error, setError] = useState<unknown>(null);
  const requests = useLoad(() => admin.recoveries(), [version]);
  const approve = async (r: PendingRecovery) => {
    setError(null);
    try {
      await admin.approveRecovery(r.device);
      setVersion(version + 1);
    } catch (e) {
      setError(e);
    }
  };
  return (
    <section class="recoveries">
      <h2>Yêu cầu khôi phục mã PIN</h2>
      {error !== null && <ErrorView error={error} />}
      <Load result={requests}>
        {(list) =>
          list.length === 0 ? (
            <p class="muted">Không có yêu cầu nào.</p>
          ) : (
            <ul>
              {list.map((r) => (
                <li data-device={r.device}>
                  {r.member_name} ({r.member}) · {r.label} · {when(r.requested_at)}{' '}
                  <button type="button" onClick={() => void approve(r)}>
                    Duyệt
                  </button>
                </li>
              ))}
            </ul>
          )
        }
      </Load>
    </section>
  );
}
