// The phones within the account's scope: holder, label, last sync, app version, revoked or
// locked; a lost phone revoked after a confirmation (its next sync erases the data on it);
// members' requests to recover a phone whose PIN they forgot, approved here.

import { useRef, useState } from 'preact/hooks';
import { admin, type Device, type PendingRecovery } from '../admin-api';
import { dateVi } from '../format';
import { ErrorView, Load, useLoad } from '../ui';
import { tr } from '../i18n';

function when(at: number | null): string {
  if (at === null) return tr.neverSynced;
  const d = new Date((at + 7 * 3600) * 1000).toISOString();
  return `${dateVi(d.slice(0, 10))} ${d.slice(11, 16)}`;
}

function state(d: Device): string {
  if (d.revoked_at !== null) return tr.revokedOn(when(d.revoked_at));
  if (d.locked) return tr.lockedIdle;
  return tr.inUse;
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
      <h1>{tr.devicesTitle}</h1>
      <p class="muted">{tr.devicesHelp}</p>
      {error !== null && <ErrorView error={error} />}
      <Recoveries />
      <label class="filter">
        {tr.devicesFilter}{' '}
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
                  <th>{tr.holder}</th>
                  <th>{tr.unit}</th>
                  <th>{tr.deviceName}</th>
                  <th>{tr.lastSync}</th>
                  <th>{tr.appVersion}</th>
                  <th>{tr.status}</th>
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
                          {tr.revoke}
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
            <h2>{tr.revokeAsk}</h2>
            <p>
              {tr.revokeWarn(asked.label, asked.name)}
            </p>
            <div class="toolbar">
              <button class="secondary" onClick={() => dialog.current?.close()}>
                {tr.cancel}
              </button>
              <button data-action="confirm-revoke" onClick={revoke}>
                {tr.revokeDevice}
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
      <h2>{tr.recoveries}</h2>
      {error !== null && <ErrorView error={error} />}
      <Load result={requests}>
        {(list) =>
          list.length === 0 ? (
            <p class="muted">{tr.noRequests}</p>
          ) : (
            <ul>
              {list.map((r) => (
                <li data-device={r.device}>
                  {r.member_name} ({r.member}) · {r.label} · {when(r.requested_at)}{' '}
                  <button type="button" onClick={() => void approve(r)}>
                    {tr.approve}
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
