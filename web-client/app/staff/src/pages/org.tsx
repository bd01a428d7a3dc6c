// Keeping the organisation current: a unit, a member or a household added, a member transferred
// to another cell, a household moved. Each form sends one change; the server checks it against
// the account's scope and role (through core) and says what was wrong, field by field.

import { useState } from 'preact/hooks';
import { api, type OrgChoices } from '../api';
import { href } from '../route';
import { ErrorView, Load, type Loaded, useLoad } from '../ui';

type Field = { name: string; label: string; type?: 'text' | 'number' | 'date'; options?: [string, string][]; required?: boolean };

/** One change to the organisation: its fields, where it goes, and what to say once done. */
function ChangeForm(props: {
  id: string;
  title: string;
  help: string;
  fields: Field[];
  submit: string;
  send: (values: Record<string, string>) => Promise<Record<string, unknown>>;
  done: (answer: Record<string, unknown>) => string;
}) {
  const { id, title, help, fields, submit, send, done } = props;
  const [values, setValues] = useState<Record<string, string>>({});
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [result, setResult] = useState('');
  return (
    <form
      class="panel org-form"
      data-form={id}
      onSubmit={async (e) => {
        e.preventDefault();
        setBusy(true);
        setError(null);
        setResult('');
        try {
          setResult(done(await send(values)));
          setValues({});
        } catch (err) {
          setError(err);
        } finally {
          setBusy(false);
        }
      }}
    >
      <h2>{title}</h2>
      <p class="muted">{help}</p>
      {fields.map((f) => (
        <label>
          {f.label}
          {f.options ? (
            <select name={f.name} value={values[f.name] ?? f.options[0][0]} onChange={(e) => setValues({ ...values, [f.name]: e.currentTarget.value })}>
              {f.options.map(([code, label]) => (
                <option value={code}>{label}</option>
              ))}
            </select>
          ) : (
            <input
              name={f.name}
              type={f.type ?? 'text'}
              required={f.required}
              value={values[f.name] ?? ''}
              onInput={(e) => setValues({ ...values, [f.name]: e.currentTarget.value })}
            />
          )}
        </label>
      ))}
      <button disabled={busy}>{busy ? 'Đang gửi…' : submit}</button>
      {result && (
        <p class="saved" role="status">
          {result}
        </p>
      )}
      {error !== null && <ErrorView error={error} />}
    </form>
  );
}

/** A form's choices as the server lists them, `first` first (the form's default); only `first`
 * while they load. */
function options(choices: Loaded<OrgChoices>, list: keyof OrgChoices, first: string): [string, string][] {
  if (choices.state !== 'ok') return [[first, first]];
  const all = choices.data[list].map((c): [string, string] => [c.code, c.label]);
  return [...all.filter(([code]) => code === first), ...all.filter(([code]) => code !== first)];
}

const optional = (v: string | undefined) => (v && v.trim() ? v.trim() : undefined);

/** The units in the account's scope, indented under their parents. */
function UnitTree() {
  const units = useLoad(() => api.orgUnits(), []);
  return (
    <div class="panel">
      <h2>Các đơn vị</h2>
      <Load result={units}>
        {(rows) => (
          <table class="table" data-testid="org-units">
            <thead>
              <tr>
                <th>Tên</th>
                <th>Mã</th>
                <th>Loại</th>
                <th>Cấp</th>
              </tr>
            </thead>
            <tbody>
              {rows.map((u) => (
                <tr data-unit={u.id}>
                  <td style={{ paddingLeft: `${0.5 + u.depth * 1.5}em` }}>
                    <a href={href.overview(u.id)}>{u.name}</a>
                  </td>
                  <td>{u.id}</td>
                  <td>{u.kind_label}</td>
                  <td>{u.level_label}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </Load>
    </div>
  );
}

export function OrgPage() {
  const choices = useLoad(() => api.orgChoices(), []);
  return (
    <section class="org">
      <h1>Tổ chức</h1>
      <p class="muted">
        Thêm đơn vị, đảng viên và hộ; chuyển sinh hoạt đảng viên sang chi bộ khác; chuyển hộ sang chi bộ khác. Điện thoại của các chi bộ liên
        quan nhận thay đổi ở lần đồng bộ tới; những gì đã ghi trên điện thoại trước đó được giữ nguyên.
      </p>
      <p>
        <a class="button" href={href.orgImport()} data-testid="org-import-link">
          Nhập từ bảng tính (Excel, CSV)
        </a>
      </p>
      <div class="two">
        <ChangeForm
          id="unit"
          title="Thêm đơn vị"
          help="Một đảng bộ xã hoặc một chi bộ, dưới một đơn vị trong phạm vi của bạn."
          fields={[
            { name: 'id', label: 'Mã đơn vị', required: true },
            { name: 'parent', label: 'Mã đơn vị cấp trên', required: true },
            {
              name: 'kind',
              label: 'Loại',
              options: options(choices, 'unit_kinds', 'cell'),
            },
            { name: 'level_label', label: 'Cấp (ví dụ: xã, chi bộ thôn)', required: true },
            { name: 'name', label: 'Tên', required: true },
          ]}
          submit="Thêm đơn vị"
          send={(v) => api.org('/units', { ...v, kind: v.kind ?? 'cell' })}
          done={(a) => `Đã thêm đơn vị ${String(a.id)}.`}
        />
        <ChangeForm
          id="member"
          title="Thêm đảng viên"
          help="Đảng viên mới của một chi bộ; cấp mã kích hoạt điện thoại sau khi thêm."
          fields={[
            { name: 'id', label: 'Mã đảng viên', required: true },
            { name: 'cell', label: 'Mã chi bộ', required: true },
            { name: 'name', label: 'Họ và tên', required: true },
            {
              name: 'role',
              label: 'Chức vụ trong chi bộ',
              options: options(choices, 'member_roles', 'member'),
            },
          ]}
          submit="Thêm đảng viên"
          send={(v) => api.org('/members', { ...v, role: v.role ?? 'member' })}
          done={(a) => `Đã thêm ${String(a.name)} vào chi bộ ${String(a.cell)}.`}
        />
        <ChangeForm
          id="household"
          title="Thêm hộ"
          help="Một gia đình mới đến thôn; bí thư chi bộ cũng thêm được trên điện thoại."
          fields={[
            { name: 'cell', label: 'Mã chi bộ', required: true },
            { name: 'head', label: 'Chủ hộ', required: true },
            { name: 'village', label: 'Thôn, bản' },
            { name: 'people', label: 'Nhân khẩu', type: 'number' },
            { name: 'livelihood', label: 'Sinh kế' },
          ]}
          submit="Thêm hộ"
          send={(v) =>
            api.org('/households', {
              cell: v.cell,
              head: v.head,
              village: v.village ?? '',
              people: Number(v.people ?? 0),
              livelihood: v.livelihood ?? '',
            })
          }
          done={(a) => `Đã thêm hộ ${String(a.id)}.`}
        />
        <ChangeForm
          id="transfer"
          title="Chuyển sinh hoạt đảng viên"
          help="Các hộ được phân công ở chi bộ cũ kết thúc; báo cáo và lịch sử đi theo đảng viên."
          fields={[
            { name: 'member', label: 'Mã đảng viên', required: true },
            { name: 'cell', label: 'Chuyển đến chi bộ (mã)', required: true },
            { name: 'on', label: 'Từ ngày', type: 'date' },
          ]}
          submit="Chuyển sinh hoạt"
          send={(v) => api.org(`/members/${encodeURIComponent(v.member ?? '')}/transfer`, { cell: v.cell, on: optional(v.on) })}
          done={(a) => `Đã chuyển ${String(a.member)} từ ${String(a.from)} sang ${String(a.to)}.`}
        />
        <ChangeForm
          id="move"
          title="Chuyển hộ sang chi bộ khác"
          help="Điện thoại của cả hai chi bộ nhận thay đổi; ghi chép trước khi chuyển được giữ."
          fields={[
            { name: 'household', label: 'Mã hộ', required: true },
            { name: 'cell', label: 'Chuyển đến chi bộ (mã)', required: true },
            { name: 'on', label: 'Từ ngày', type: 'date' },
          ]}
          submit="Chuyển hộ"
          send={(v) => api.org(`/households/${encodeURIComponent(v.household ?? '')}/move`, { cell: v.cell, on: optional(v.on) })}
          done={(a) => `Đã chuyển hộ ${String(a.household)} từ ${String(a.from)} sang ${String(a.to)}.`}
        />
      </div>
      <UnitTree />
    </section>
  );
}
