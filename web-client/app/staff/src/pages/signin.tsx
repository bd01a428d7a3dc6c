// Staff sign in with the login and password an administrator gave them (`hosync user add`).

import { useState } from 'preact/hooks';
import { ApiError, api, type Session } from '../api';

const WHY: Record<number, string> = {
  0: 'Không kết nối được máy chủ.',
  401: 'Sai tên đăng nhập hoặc mật khẩu.',
  403: 'Tài khoản đã bị khóa hoặc không được xem trang này.',
  429: 'Đăng nhập sai quá nhiều lần; vui lòng thử lại sau.',
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
      setError(WHY[status] ?? `Lỗi: ${err instanceof Error ? err.message : String(err)}`);
    } finally {
      setBusy(false);
    }
  };
  return (
    <main class="sign-in">
      <form onSubmit={submit}>
        <h1>hosync · Theo dõi công tác phụ trách hộ</h1>
        <p class="muted">Đăng nhập dành cho cán bộ Huyện ủy và Đảng ủy xã.</p>
        <label>
          Tên đăng nhập
          <input name="login" autocomplete="username" autocapitalize="none" required value={login} onInput={(e) => setLogin((e.target as HTMLInputElement).value)} />
        </label>
        <label>
          Mật khẩu
          <input
            name="password"
            type="password"
            autocomplete="current-password"
            required
            value={password}
            onInput={(e) => setPassword((e.target as HTMLInputElement).value)}
          />
        </label>
        <button disabled={busy}>{busy ? 'Đang đăng nhập…' : 'Đăng nhập'}</button>
        {error && (
          <p class="error" role="alert">
            {error}
          </p>
        )}
      </form>
    </main>
  );
}
