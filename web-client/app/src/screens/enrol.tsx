// Enrolment: a one-time code typed or scanned, exchanged for the phone's token.

import { useState } from 'preact/hooks';
import { Phone } from '../phone';
import { t } from '../i18n';
import { todayIso } from '../dates';
import { qrDetector, enrolmentCode } from '../qr';
import { ErrorLine, LanguageSwitch, Scanner, useAction } from '../ui';
import { pinProblem } from '../unlock';
import { PinFields } from './unlock';

export function Enrol({ notice, onEnrolled }: { notice?: string; onEnrolled: (phone: Phone) => void }) {
  const fromLink = /^#\/enrol\/(.+)$/.exec(location.hash)?.[1];
  const [code, setCode] = useState(fromLink ? decodeURIComponent(fromLink) : '');
  const [busy, error, run] = useAction();
  const [scanning, setScanning] = useState(false);
  const [pin, setPin] = useState(['', '']);
  const enrol = (value: string) =>
    run(async () => {
      const problem = pinProblem(pin[0], pin[1]);
      if (problem) throw new Error(problem);
      if (!navigator.onLine) throw new Error(t('enrolNeedsNetwork'));
      const label = `${navigator.userAgent.match(/\(([^;)]+)/)?.[1] ?? 'web'}, ${todayIso()}`;
      onEnrolled(await Phone.enrol(enrolmentCode(value), label, pin[0]));
      location.hash = '#/';
    });
  return (
    <main class="screen enrol">
      <h1>{t('enrolTitle')}</h1>
      {notice && <p class="notice" role="status">{notice}</p>}
      <p>{t('enrolHelp')}</p>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          void enrol(code);
        }}
      >
        <label>
          {t('enrolCode')}
          <input
            name="code"
            value={code}
            autocomplete="one-time-code"
            autocapitalize="characters"
            placeholder="ABCDE-FGHJK"
            required
            onInput={(e) => setCode(e.currentTarget.value)}
          />
        </label>
        <PinFields onChange={(a, b) => setPin([a, b])} />
        <button disabled={busy}>{busy ? t('enrolling') : t('enrolButton')}</button>
      </form>
      {qrDetector() && (
        <button class="secondary" onClick={() => setScanning(!scanning)}>
          {t('scanQr')}
        </button>
      )}
      {scanning && (
        <Scanner
          onText={(text) => {
            if (!text.startsWith('hosync:enrol:')) return false;
            setScanning(false);
            setCode(enrolmentCode(text));
            // With the PIN chosen already, scanning is the last step; else the PIN is next.
            if (!pinProblem(pin[0], pin[1])) void enrol(text);
            return true;
          }}
        />
      )}
      <ErrorLine error={error} />
      <LanguageSwitch />
    </main>
  );
}
