// Enrolment: a one-time code typed or scanned, exchanged for the phone's token.

import { useState } from 'preact/hooks';
import { Phone } from '../phone';
import { t } from '../i18n';
import { todayIso } from '../dates';
import { qrDetector, enrolmentCode } from '../qr';
import { ErrorLine, LanguageSwitch, Scanner, useAction } from '../ui';

export function Enrol({ notice, onEnrolled }: { notice?: string; onEnrolled: (phone: Phone) => void }) {
  const fromLink = /^#\/enrol\/(.+)$/.exec(location.hash)?.[1];
  const [code, setCode] = useState(fromLink ? decodeURIComponent(fromLink) : '');
  const [busy, error, run] = useAction();
  const [scanning, setScanning] = useState(false);
  const enrol = (value: string) =>
    run(async () => {
      if (!navigator.onLine) throw new Error(t('enrolNeedsNetwork'));
      const label = `${navigator.userAgent.match(/\(([^;)]+)/)?.[1] ?? 'web'}, ${todayIso()}`;
      onEnrolled(await Phone.enrol(enrolmentCode(value), label));
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
            void enrol(text);
            return true;
          }}
        />
      )}
      <ErrorLine error={error} />
      <LanguageSwitch />
    </main>
  );
}
