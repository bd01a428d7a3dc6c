// Staff sign in with the login and password an administrator gave them (`hosync user add`).

import { useState } from 'preact/hooks';
import { ApiError, api, type Session } from '../api';
import { tr } from '../i18n';

const WHY: Record<number, string> = {
  0: tr.noServer,
  401: tr.wrongPassword,
  403: tr.accountLocked,
  429: tr.tooManyTries,
};

export function SignIn({ onSignedIn }: { onSignedIn: (s: Session) => void }) {
  const [login, setLogin] = useState('');
  const [password, setPassword] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await api.signIn(login.trim(), password);
      // The session answer names the scope; the POST answer may not.
      const session = await api.session();
      if (session) onSignedIn(session);
      else setError(WHY[401]);
    } catch (err) {
      const status = err instanceof ApiError ? err.status : -1;
      setError(WHY[status] ?? tr.failed(err instanceof Error ? err.message : String(err)));
    } finally {
      setBusy(false);
    }
  };
  return (
    <main class="sign-in">
      <form onSubmit={submit}>
        <h1>{tr.signInTitle}</h1>
        <p class="muted">{tr.signInFor}</p>
        <label>
          {tr.login}
          <input name="login" autocomplete="username" autocapitalize="none" required value={login} onInput={(e) => setLogin((e.target as HTMLInputElement).value)} />
        </label>
        <label>
          {tr.password}
          <input
            name="password"
            type="password"
            autocomplete="current-password"
            required
            value={password}
            onInput={(e) => setPassword((e.target as HTMLInputElement).value)}
          />
        </label>
        <button disabled={busy}>{busy ? tr.signingIn : tr.signIn}</button>
        {error && (
          <p class="error" role="alert">
            {error}
          </p>
        )}
      </form>
    </main>
  );
}
