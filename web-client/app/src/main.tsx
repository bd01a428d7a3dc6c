// Start-up: one tab owns the phone's data (two tabs writing the same IndexedDB record would
// overwrite each other's edits), the wasm core loads, the stored phone opens or enrolment
// starts, and the service worker is registered so the app opens with no network next time.

import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { registerSW } from 'virtual:pwa-register';
import { Main } from './app';
import { Enrol } from './screens/enrol';
import { Centered } from './ui';
import { Phone, SyncLoop, loadCore } from './phone';
import { t } from './i18n';
import './style.css';

const root = document.getElementById('app')!;
// The "opening…" line is static HTML, not Preact's to replace.
root.textContent = '';

let updateReady: (() => void) | null = null;
const updateSW = registerSW({
  onNeedRefresh() {
    updateReady?.();
  },
});

function UpdatePrompt() {
  const [shown, setShown] = useState(false);
  useEffect(() => {
    updateReady = () => setShown(true);
  }, []);
  if (!shown) return null;
  return (
    <div class="update" role="alert">
      {t('updateReady')} <button onClick={() => void updateSW(true)}>{t('update')}</button>
      <button class="secondary" onClick={() => setShown(false)}>
        {t('later')}
      </button>
    </div>
  );
}

function Root({ initial }: { initial: Phone | null }) {
  const [phone, setPhone] = useState(initial);
  const [loop, setLoop] = useState(() => (initial ? new SyncLoop(initial) : null));
  const [, setLang] = useState(0);
  const [wipedNotice, setWipedNotice] = useState<string | undefined>();
  useEffect(() => {
    const onLang = () => setLang((n) => n + 1);
    addEventListener('hosync-lang', onLang);
    return () => removeEventListener('hosync-lang', onLang);
  }, []);
  useEffect(
    () =>
      phone?.subscribe(() => {
        if (phone.wiped) {
          setWipedNotice(t('wipedNotice'));
          setPhone(null);
          setLoop(null);
        }
      }),
    [phone],
  );
  return (
    <>
      <UpdatePrompt />
      {phone && loop ? (
        <Main phone={phone} loop={loop} />
      ) : (
        <Enrol
          notice={wipedNotice}
          onEnrolled={(p) => {
            setWipedNotice(undefined);
            setPhone(p);
            setLoop(new SyncLoop(p));
          }}
        />
      )}
    </>
  );
}

async function start(): Promise<void> {
  await loadCore();
  const phone = await Phone.open();
  performance.mark('hosync:loaded');
  render(<Root initial={phone} />, root);
}

function fail(e: unknown): void {
  render(
    <Centered>
      <p class="error" role="alert">
        {t('error')}: {e instanceof Error ? e.message : String(e)}
      </p>
    </Centered>,
    root,
  );
}

if (navigator.locks) {
  void navigator.locks.request('hosync-phone', { ifAvailable: true }, async (lock) => {
    if (!lock) {
      render(<Centered><p>{t('otherTab')}</p></Centered>, root);
      return;
    }
    await start().catch(fail);
    // Hold the lock for as long as this tab lives.
    await new Promise(() => undefined);
  });
} else {
  start().catch(fail);
}
