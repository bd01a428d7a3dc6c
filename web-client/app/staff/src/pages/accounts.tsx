// Staff accounts: the list within the account's scope, a new account, a role and scope changed
// (offered only when core allows the account to change roles), disabled and enabled again, and
// a one-time code with which the person sets a new password on the public page `#/password`.

import { useState } from 'preact/hooks';
import { may, type Session } from '../api';
import { admin, type ResetCode, type User } from '../admin-api';
import { dateVi } from '../format';
import { ErrorView, Load, useLoad } from '../ui';
import { tr } from '../i18n';

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
          setDone(tr.accountAdded(user.login, user.role_label));
          setV(empty);
          onAdded();
        } catch (err) {
          setError(err);
        }
      }}
    >
      <h2>{tr.addAccount}</h2>
      <label>
        {tr.login}
        <input required autocapitalize="none" {...field('login')} />
      </label>
      <label>
        {tr.fullName}
        <input required {...field('name')} />
      </label>
      <label>
        {tr.initialPassword}
        <input required type="password" autocomplete="new-password" {...field('password')} />
      </label>
      <label>
        {tr.role}
        <select {...field('role')} onChange={(e) => setV({ ...v, role: e.currentTarget.value })}>
          {roles.map((r) => (
            <option value={r.code}>{r.label}</option>
          ))}
        </select>
      </label>
      <label>
        {tr.scopeCode}
        <input required {...field('scope')} />
      </label>
      <button>{tr.addAccount}</button>
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
      <select aria-label={tr.role} value={role} onChange={(e) => setRole(e.currentTarget.value)}>
        {(session.roles ?? []).map((r) => (
          <option value={r.code}>{r.label}</option>
        ))}
      </select>
      <input aria-label={tr.scope} size={10} value={scope} onInput={(e) => setScope(e.currentTarget.value)} />
      <button class="secondary">{tr.changeRole}</button>
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
      <h1>{tr.accountsTitle}</h1>
      <p class="muted">
        {tr.accountsHelp}
      </p>
      {code && (
        <div class="panel reset-code" role="status" data-login={code.login}>
          <h2>{tr.resetCodeFor(code.login)}</h2>
          <p class="code" data-testid="reset-code">
            {code.code}
          </p>
          <p>
            {tr.resetHowOpen}
            <a href="#/password">{tr.resetPage}</a>
            {tr.resetHowThen(code.expires)}
          </p>
        </div>
      )}
      {error !== null && <ErrorView error={error} />}
      <Load result={users}>
        {(list) => (
          <table class="users">
            <thead>
              <tr>
                <th>{tr.login}</th>
                <th>{tr.fullName}</th>
                <th>{tr.role}</th>
                <th>{tr.scope}</th>
                <th>{tr.createdOn}</th>
                <th>{tr.status}</th>
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
                  <td>{u.disabled ? tr.disabled : tr.active}</td>
                  <td class="actions">
                    {u.login !== session.login &&
                      (u.disabled ? (
                        <button class="secondary" onClick={() => act(() => admin.enable(u.login))}>
                          {tr.enable}
                        </button>
                      ) : (
                        <button class="secondary" onClick={() => act(() => admin.disable(u.login))}>
                          {tr.disable}
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
                      {tr.issueReset}
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
