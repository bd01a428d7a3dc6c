// The public page where a person sets a new password with the one-time code an administrator
// gave them (`#/password`). No session: the code is the credential; the server spends it.

import { useState } from 'preact/hooks';
import { ApiError } from '../api';
import { admin } from '../admin-api';
import { tr } from '../i18n';

export function PasswordPage() {
  const [login, setLogin] = useState('');
  const [code, setCode] = useState('');
  const [password, setPassword] = useState('');
  const [again, setAgain] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [done, setDone] = useState(false);
  const submit = async (e: Event) => {
    e.preventDefault();
    setError(null);
    if (password !== again) {
      setError(tr.mismatch);
      return;
    }
    setBusy(true);
    try {
      await admin.resetPassword(login.trim(), code.trim(), password);
      setDone(true);
    } catch (err) {
      // The server's words say which: a wrong, used or expired code, or a too short password.
      const said = err instanceof Error ? err.message : String(err);
      setError(err instanceof ApiError && err.status === 0 ? tr.noServer : said);
    } finally {
      setBusy(false);
    }
  };
  if (done) {
    return (
      <main class="sign-in">
        <div class="panel" role="status" data-testid="password-set">
          <h1>{tr.passwordSet}</h1>
          <p>{tr.signInWithNew}</p>
          <p>
            <a href="#/">{tr.signIn}</a>
          </p>
        </div>
      </main>
    );
  }
  return (
    <main class="sign-in">
      <form onSubmit={submit} data-form="password">
        <h1>{tr.resetTitle}</h1>
        <p class="muted">{tr.resetHelp}</p>
        <label>
          {tr.login}
          <input name="login" autocomplete="username" autocapitalize="none" required value={login} onInput={(e) => setLogin(e.currentTarget.value)} />
        </label>
        <label>
          {tr.resetCode}
          <input name="code" autocapitalize="characters" required value={code} onInput={(e) => setCode(e.currentTarget.value)} />
        </label>
        <label>
          {tr.newPassword}
          <input name="password" type="password" autocomplete="new-password" required value={password} onInput={(e) => setPassword(e.currentTarget.value)} />
        </label>
        <label>
          {tr.newAgain}
          <input name="again" type="password" autocomplete="new-password" required value={again} onInput={(e) => setAgain(e.currentTarget.value)} />
        </label>
        <button disabled={busy}>{busy ? tr.sending : tr.setNew}</button>
        {error && (
          <p class="error" role="alert">
            {error}
          </p>
        )}
        <p>
          <a href="#/">{tr.backToSignIn}</a>
        </p>
      </form>
    </main>
  );
}
