// The public page where a person sets a new password with the one-time code an administrator
// gave them (`#/password`). No session: the code is the credential; the server spends it.

import { useState } from 'preact/hooks';
import { ApiError } from '../api';
import { admin } from '../admin-api';

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
      setError('Hai lần nhập mật khẩu mới không khớp nhau.');
      return;
    }
    setBusy(true);
    try {
      await admin.resetPassword(login.trim(), code.trim(), password);
      setDone(true);
    } catch (err) {
      // The server's words say which: a wrong, used or expired code, or a too short password.
      const said = err instanceof Error ? err.message : String(err);
      setError(err instanceof ApiError && err.status === 0 ? 'Không kết nối được máy chủ.' : said);
    } finally {
      setBusy(false);
    }
  };
  if (done) {
    return (
      <main class="sign-in">
        <div class="panel" role="status" data-testid="password-set">
          <h1>Đã đặt mật khẩu mới</h1>
          <p>Hãy đăng nhập bằng mật khẩu mới.</p>
          <p>
            <a href="#/">Đăng nhập</a>
          </p>
        </div>
      </main>
    );
  }
  return (
    <main class="sign-in">
      <form onSubmit={submit} data-form="password">
        <h1>Đặt lại mật khẩu</h1>
        <p class="muted">Nhập mã một lần mà quản trị đã cấp cho bạn, rồi chọn mật khẩu mới (ít nhất 10 ký tự).</p>
        <label>
          Tên đăng nhập
          <input name="login" autocomplete="username" autocapitalize="none" required value={login} onInput={(e) => setLogin(e.currentTarget.value)} />
        </label>
        <label>
          Mã đặt lại mật khẩu
          <input name="code" autocapitalize="characters" required value={code} onInput={(e) => setCode(e.currentTarget.value)} />
        </label>
        <label>
          Mật khẩu mới
          <input name="password" type="password" autocomplete="new-password" required value={password} onInput={(e) => setPassword(e.currentTarget.value)} />
        </label>
        <label>
          Nhập lại mật khẩu mới
          <input name="again" type="password" autocomplete="new-password" required value={again} onInput={(e) => setAgain(e.currentTarget.value)} />
        </label>
        <button disabled={busy}>{busy ? 'Đang gửi…' : 'Đặt mật khẩu mới'}</button>
        {error && (
          <p class="error" role="alert">
            {error}
          </p>
        )}
        <p>
          <a href="#/">Về trang đăng nhập</a>
        </p>
      </form>
    </main>
  );
}
