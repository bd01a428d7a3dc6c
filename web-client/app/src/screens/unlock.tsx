// The PIN: typed to open the data, chosen at enrolment or once for a phone saved before PINs,
// chosen again after recovery; and recovery itself, waiting for the secretary's approval.

import { useState } from 'preact/hooks';
import type { DataKey, KeyRecord } from '../keys';
import { WrongPin, pinProblem, recover, unlock } from '../unlock';
import { t } from '../i18n';
import { ErrorLine, LanguageSwitch, useAction } from '../ui';

/** The PIN and its repetition, for a form that chooses one. */
export function PinFields({ onChange }: { onChange: (pin: string, again: string) => void }) {
  const [pin, setPin] = useState('');
  const [again, setAgain] = useState('');
  return (
    <>
      <p class="help">{t('pinHelp')}</p>
      <label>
        {t('pin')}
        <input
          name="pin"
          type="password"
          inputmode="numeric"
          autocomplete="new-password"
          required
          value={pin}
          onInput={(e) => {
            setPin(e.currentTarget.value);
            onChange(e.currentTarget.value, again);
          }}
        />
      </label>
      <label>
        {t('pinAgain')}
        <input
          name="pin-again"
          type="password"
          inputmode="numeric"
          autocomplete="new-password"
          required
          value={again}
          onInput={(e) => {
            setAgain(e.currentTarget.value);
            onChange(pin, e.currentTarget.value);
          }}
        />
      </label>
    </>
  );
}

/** Choosing a PIN: for a phone saved before PINs (`protect`) or after recovery. */
export function ChoosePin({ title, help, onChosen }: { title: string; help?: string; onChosen: (pin: string) => Promise<void> }) {
  const [pin, setPin] = useState(['', '']);
  const [busy, error, run] = useAction();
  return (
    <main class="screen unlock">
      <h1>{title}</h1>
      {help && <p>{help}</p>}
      <form
        onSubmit={(e) => {
          e.preventDefault();
          void run(async () => {
            const problem = pinProblem(pin[0], pin[1]);
            if (problem) throw new Error(problem);
            await onChosen(pin[0]);
          });
        }}
      >
        <PinFields onChange={(a, b) => setPin([a, b])} />
        <button disabled={busy}>{t('setPin')}</button>
      </form>
      <ErrorLine error={error} />
    </main>
  );
}

/** Typing the PIN to open the data; "forgot" leads to recovery. */
export function PinScreen({ keys, onOpened, onRecover }: { keys: KeyRecord; onOpened: (key: DataKey, keys: KeyRecord) => Promise<void>; onRecover: (keys: KeyRecord) => void }) {
  const [current, setCurrent] = useState(keys);
  const [pin, setPin] = useState('');
  const [busy, error, run] = useAction();
  return (
    <main class="screen unlock">
      <h1>{t('unlockTitle')}</h1>
      <p>{t('unlockHelp')}</p>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          void run(async () => {
            try {
              const key = await unlock(current, pin);
              await onOpened(key, current);
            } catch (e) {
              setPin('');
              if (e instanceof WrongPin) {
                setCurrent(e.keys);
                if (!e.keys.pin) onRecover(e.keys);
              }
              throw e;
            }
          });
        }}
      >
        <label>
          {t('pin')}
          <input name="pin" type="password" inputmode="numeric" autocomplete="current-password" required value={pin} onInput={(e) => setPin(e.currentTarget.value)} />
        </label>
        <button disabled={busy}>{busy ? t('unlocking') : t('unlock')}</button>
      </form>
      <ErrorLine error={error} />
      <button class="secondary" onClick={() => onRecover(current)}>
        {t('forgotPin')}
      </button>
      <LanguageSwitch />
    </main>
  );
}

/** Recovery: a request to the server, then the secretary's approval, then the data key. */
export function RecoverScreen({ keys, onRecovered }: { keys: KeyRecord; onRecovered: (key: DataKey) => void }) {
  const [asked, setAsked] = useState(false);
  const [busy, error, run] = useAction();
  const ask = () =>
    run(async () => {
      const key = await recover(keys);
      setAsked(true);
      if (key) onRecovered(key);
    });
  return (
    <main class="screen unlock">
      <h1>{t('recoverTitle')}</h1>
      {keys.wrongPins > 0 && !keys.pin && <p class="error">{t('wrongPin').replace('{n}', '0')}</p>}
      <p>{t('recoverHelp')}</p>
      {asked && (
        <p class="notice" role="status">
          {t('recoverWaiting')}
        </p>
      )}
      <button disabled={busy} onClick={() => void ask()}>
        {asked ? t('recoverCheck') : t('recoverAsk')}
      </button>
      <ErrorLine error={error} />
      <LanguageSwitch />
    </main>
  );
}
