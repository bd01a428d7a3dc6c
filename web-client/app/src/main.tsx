// Start-up: one tab owns the phone's data (two tabs writing the same IndexedDB records would
// overwrite each other's edits), the wasm core loads, the PIN opens the stored phone (or
// recovery, or enrolment, starts), and the service worker is registered so the app opens with
// no network next time.

import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { registerSW } from 'virtual:pwa-register';
import { Main } from './app';
import { Enrol } from './screens/enrol';
import { Centered } from './ui';
import { Phone, SyncLoop, loadCore } from './phone';
import { opening } from './unlock';
import { ChoosePin, PinScreen, RecoverScreen } from './screens/unlock';
import type { DataKey, KeyRecord } from './keys';
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

/** How long the app may stay in the background before it asks for the PIN again. */
const BACKGROUND_LOCK_MS = 15 * 60_000;

type Stage =
  | { kind: 'enrol'; notice?: string }
  | { kind: 'pin'; keys: KeyRecord }
  | { kind: 'recover'; keys: KeyRecord }
  /** Recovered: the data key is back, and the member chooses a new PIN. */
  | { kind: 'newPin'; key: DataKey; keys: KeyRecord }
  /** Opened, but saved before PINs: the member chooses one before going on. */
  | { kind: 'protect'; phone: Phone }
  | { kind: 'open'; phone: Phone; loop: SyncLoop };

async function opened(key: DataKey | undefined, keys: KeyRecord | null): Promise<Stage> {
  const phone = await Phone.open(key, keys);
  performance.mark('hosync:loaded');
  if (!phone) return { kind: 'enrol' };
  if (!phone.protected) return { kind: 'protect', phone };
  void phone.addRecovery().catch(() => undefined);
  return { kind: 'open', phone, loop: new SyncLoop(phone) };
}

function Root({ first }: { first: Stage }) {
  const [stage, setStage] = useState<Stage>(first);
  const [, setLang] = useState(0);
  useEffect(() => {
    const onLang = () => setLang((n) => n + 1);
    addEventListener('hosync-lang', onLang);
    return () => removeEventListener('hosync-lang', onLang);
  }, []);
  const phone = stage.kind === 'open' ? stage.phone : null;
  useEffect(
    () =>
      phone?.subscribe(() => {
        if (phone.wiped) setStage({ kind: 'enrol', notice: t('wipedNotice') });
      }),
    [phone],
  );
  useEffect(() => {
    if (!phone?.protected) return;
    // Back from a long time in the background: the data key leaves memory with the page.
    let hiddenAt = 0;
    const onVisibility = () => {
      if (document.visibilityState === 'hidden') hiddenAt = Date.now();
      else if (hiddenAt && Date.now() - hiddenAt > BACKGROUND_LOCK_MS) location.reload();
    };
    document.addEventListener('visibilitychange', onVisibility);
    return () => document.removeEventListener('visibilitychange', onVisibility);
  }, [phone]);
  const show = (next: Promise<Stage>) => next.then(setStage);
  let screen;
  switch (stage.kind) {
    case 'open':
      screen = <Main phone={stage.phone} loop={stage.loop} />;
      break;
    case 'pin':
      screen = (
        <PinScreen
          keys={stage.keys}
          onOpened={(key, keys) => show(opened(key, keys))}
          onRecover={(keys) => setStage({ kind: 'recover', keys })}
        />
      );
      break;
    case 'recover':
      screen = <RecoverScreen keys={stage.keys} onRecovered={(key) => setStage({ kind: 'newPin', key, keys: stage.keys })} />;
      break;
    case 'newPin':
      screen = (
        <ChoosePin
          title={t('newPinTitle')}
          onChosen={async (pin) => {
            const next = await opened(stage.key, stage.keys);
            if (next.kind === 'open') await next.phone.setPin(pin);
            setStage(next);
          }}
        />
      );
      break;
    case 'protect':
      screen = (
        <ChoosePin
          title={t('protectTitle')}
          help={t('protectHelp')}
          onChosen={async (pin) => {
            await stage.phone.protect(pin);
            setStage({ kind: 'open', phone: stage.phone, loop: new SyncLoop(stage.phone) });
          }}
        />
      );
      break;
    case 'enrol':
      screen = (
        <Enrol
          notice={stage.notice}
          onEnrolled={(p) => setStage({ kind: 'open', phone: p, loop: new SyncLoop(p) })}
        />
      );
      break;
  }
  return (
    <>
      <UpdatePrompt />
      {screen}
    </>
  );
}

async function start(): Promise<void> {
  await loadCore();
  const first = await opening();
  let stage: Stage;
  if (first.kind === 'plain') stage = await opened(undefined, null);
  else stage = first;
  render(<Root first={stage} />, root);
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
