// Staff accounts: the list within the account's scope, a new account, a role and scope changed
// (offered only when core allows the account to change roles), disabled and enabled again, and
// a one-time code with which the person sets a new password on the public page `#/password`.

import { useState } from 'preact/hooks';
import { may, type Session } from '../api';
import { admin, type ResetCode, type User } from '../admin-api';
import { dateVi } from '../format';
import { ErrorView, Load, useLoad } from '../ui';

function day(at: number): string {
  return dateVi(new Date(at * 1000).toISOString().slice(0, 10));
}

function AddAccount({ session, onAdded }: { session: Session; onAdded: () => void }) {
  const roles = session.roles ?? [];
  const empty = { login: '', name: '', password: '', role: roles[0]?.code ?? '', scope: session.scope };
  const [v, setV] = useState(empty);
  const [error, setError] = useState<unknown>(null);
  const [done, setDone] = useState('');
  const field = (k: keyof typeof v) => ({
    name: k,
    value: v[k],
    onInput: (e: Event) => setV({ ...v, [k]: (e.currentTarget as HTMLInputElement).value }),
  });
  return (
    <form
      class="panel org-form"
      data-form="add-user"
      onSubmit={async (e) => {
        e.preventDefault();
        setError(null);
        setDone('');
        try {
          const user = await admin.addUser({ ...v, login: v.login.trim() });
          setDone(`Đã thêm tài khoản ${user.login} (${user.role_label}).`);
          setV(empty);
          onAdded();
        } catch (err) {
          setError(err);
        }
      }}
    >
      <h2>Thêm tài khoản</h2>
      <label>
        Tên đăng nhập
        <input required autocapitalize="none" {...field('login')} />
      </label>
      <label>
        Họ và tên
        <input required {...field('name')} />
      </label>
      <label>
        Mật khẩu ban đầu
        <input required type="password" autocomplete="new-password" {...field('password')} />
      </label>
      <label>
        Vai trò
        <select {...field('role')} onChange={(e) => setV({ ...v, role: e.currentTarget.value })}>
          {roles.map((r) => (
            <option value={r.code}>{r.label}</option>
          ))}
        </select>
      </label>
      <label>
        Phạm vi (mã đơn vị)
        <input required {...field('scope')} />
      </label>
      <button>Thêm tài khoản</button>
      {done && (
        <p class="saved" role="status">
          {done}
        </p>
      )}
      {error !== null && <ErrorView error={error} />}
    </form>
  );
}

function RoleForm({ user, session, onChanged }: { user: User; session: Session; onChanged: () => void }) {
  const [role, setRole] = useState(user.role);
  const [scope, setScope] = useState(user.scope);
  const [error, setError] = useState<unknown>(null);
  return (
    <form
      class="inline-form"
      data-role-form={user.login}
      onSubmit={async (e) => {
        e.preventDefault();
        setError(null);
        try {
          await admin.setRole(user.login, role, scope.trim() || undefined);
          onChanged();
        } catch (err) {
          setError(err);
        }
      }}
    >
      <select aria-label="Vai trò" value={role} onChange={(e) => setRole(e.currentTarget.value)}>
        {(session.roles ?? []).map((r) => (
          <option value={r.code}>{r.label}</option>
        ))}
      </select>
      <input aria-label="Phạm vi" size={10} value={scope} onInput={(e) => setScope(e.currentTarget.value)} />
      <button class="secondary">Đổi vai trò</button>
      {error !== null && <ErrorView error={error} />}
    </form>
  );
}

export function AccountsPage({ session }: { session: Session }) {
  const [version, setVersion] = useState(0);
  const [error, setError] = useState<unknown>(null);
  const [code, setCode] = useState<ResetCode | null>(null);
  const users = useLoad(() => admin.users(), [version]);
  const reload = () => setVersion(version + 1);
  const act = async (what: () => Promise<unknown>) => {
    setError(null);
    try {
      await what();
      reload();
    } catch (err) {
      setError(err);
    }
  };
  const changesRoles = may(session, 'change_roles');
  return (
    <section class="accounts">
      <h1>Tài khoản</h1>
      <p class="muted">
        Tài khoản cán bộ trong phạm vi của bạn. Chỉ quản trị hệ thống đổi được vai trò; không ai cấp vai trò cao hơn vai trò của mình.
      </p>
      {code && (
        <div class="panel reset-code" role="status" data-login={code.login}>
          <h2>Mã đặt lại mật khẩu cho {code.login}</h2>
          <p class="code" data-testid="reset-code">
            {code.code}
          </p>
          <p>
            Người dùng mở <a href="#/password">trang đặt lại mật khẩu</a>, nhập tên đăng nhập, mã này và mật khẩu mới trước {code.expires}. Mã chỉ
            dùng được một lần.
          </p>
        </div>
      )}
      {error !== null && <ErrorView error={error} />}
      <Load result={users}>
        {(list) => (
          <table class="users">
            <thead>
              <tr>
                <th>Tên đăng nhập</th>
                <th>Họ và tên</th>
                <th>Vai trò</th>
                <th>Phạm vi</th>
                <th>Tạo ngày</th>
                <th>Trạng thái</th>
                <th></th>
              </tr>
            </thead>
            <tbody>
              {list.map((u) => (
                <tr data-login={u.login} class={u.disabled ? 'disabled' : ''}>
                  <td>{u.login}</td>
                  <td>{u.name}</td>
                  <td>{changesRoles ? <RoleForm user={u} session={session} onChanged={reload} /> : u.role_label}</td>
                  <td>{u.scope}</td>
                  <td>{day(u.created_at)}</td>
                  <td>{u.disabled ? 'Đã khóa' : 'Đang hoạt động'}</td>
                  <td class="actions">
                    {u.login !== session.login &&
                      (u.disabled ? (
                        <button class="secondary" onClick={() => act(() => admin.enable(u.login))}>
                          Mở khóa
                        </button>
                      ) : (
                        <button class="secondary" onClick={() => act(() => admin.disable(u.login))}>
                          Khóa
                        </button>
                      ))}
                    <button
                      class="secondary"
                      data-action="reset"
                      onClick={() =>
                        act(async () => {
                          setCode(await admin.resetCode(u.login));
                        })
                      }
                    >
                      Cấp mã đặt lại mật khẩu
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </Load>
      <AddAccount session={session} onAdded={reload} />
    </section>
  );
}
