// Sync: what waits for the server, sync now, and bundles for another phone (a file or QR codes).

import { useEffect, useRef, useState } from 'preact/hooks';
import type { Phone, SyncLoop } from '../phone';
import { t } from '../i18n';
import { todayIso, momentVi } from '../dates';
import { bundleParts, qrSvg, PartCollector, qrDetector } from '../qr';
import { ErrorLine, LanguageSwitch, Scanner, StatusBadge, docName, readCell, useAction, useOnline } from '../ui';

export function SyncScreen({ phone, loop }: { phone: Phone; loop: SyncLoop }) {
  const online = useOnline();
  const cell = readCell(phone);
  const pending = phone.replica.unsynced();
  const [busy, error, run] = useAction();
  const [qr, setQr] = useState<string[] | null>(null);
  const [qrIndex, setQrIndex] = useState(0);
  const [note, setNote] = useState<string | null>(null);
  const [scanning, setScanning] = useState(false);
  const collector = useRef(new PartCollector());
  const received = async (bytes: Uint8Array) => {
    const touched = await phone.importBundle(bytes);
    setNote(`${t('imported')} ${touched.map((d) => docName(phone, cell, d)).join(', ')}`);
  };
  useEffect(() => {
    if (!qr || qr.length < 2) return;
    const timer = setInterval(() => setQrIndex((i) => (i + 1) % qr.length), 1500);
    return () => clearInterval(timer);
  }, [qr]);
  return (
    <section>
      <h1>{t('tabSync')}</h1>
      <p>
        {online ? '' : `${t('offline')} · `}
        {t('lastSync')}: {phone.lastSync ? momentVi(phone.lastSync) : t('never')}
      </p>
      <button
        disabled={busy || phone.syncing || !online}
        onClick={() => run(() => loop.now())}
      >
        {phone.syncing ? t('syncing') : t('syncNow')}
      </button>
      <ErrorLine error={error ?? (phone.lastError ? `${t('syncFailed')}: ${phone.lastError}` : null)} />
      <h2>{t('pending')}</h2>
      {pending.length === 0 ? (
        <p data-testid="all-synced">{t('allSynced')}</p>
      ) : (
        <ul class="pending">
          {pending.map((doc) => (
            <li data-doc={doc}>
              {docName(phone, cell, doc)} <StatusBadge phone={phone} doc={doc} />
            </li>
          ))}
        </ul>
      )}
      <h2>{t('bundle')}</h2>
      <p class="muted">{t('bundleHelp')}</p>
      <div class="actions">
        <button
          class="secondary"
          onClick={() => {
            const bytes = phone.exportBundle();
            if (!bytes) return setNote(t('nothingToExport'));
            const url = URL.createObjectURL(new Blob([bytes as BlobPart], { type: 'application/octet-stream' }));
            const a = document.createElement('a');
            a.href = url;
            a.download = `hosync-${phone.identity.member}-${todayIso()}.hosync`;
            a.click();
            setTimeout(() => URL.revokeObjectURL(url), 10_000);
          }}
        >
          {t('exportFile')}
        </button>
        <button
          class="secondary"
          onClick={() => {
            const bytes = phone.exportBundle();
            if (!bytes) return setNote(t('nothingToExport'));
            const parts = bundleParts(bytes);
            if (!parts) return setNote(t('qrTooLarge'));
            setQrIndex(0);
            setQr(parts);
          }}
        >
          {t('showQr')}
        </button>
        <label class="button secondary">
          {t('importFile')}
          <input
            type="file"
            name="bundle"
            hidden
            onChange={(e) => {
              const file = e.currentTarget.files?.[0];
              if (file) void run(async () => received(new Uint8Array(await file.arrayBuffer())));
              e.currentTarget.value = '';
            }}
          />
        </label>
        {qrDetector() && (
          <button class="secondary" onClick={() => setScanning(!scanning)}>
            {t('scanQr')}
          </button>
        )}
      </div>
      {note && (
        <p class="notice" role="status">
          {note}
        </p>
      )}
      {qr && (
        <figure class="qr">
          <div dangerouslySetInnerHTML={{ __html: qrSvg(qr[qrIndex]) }} />
          <figcaption>
            {t('qrPart')} {qrIndex + 1}/{qr.length}
          </figcaption>
        </figure>
      )}
      {scanning && (
        <>
          <Scanner
            onText={(text) => {
              const bytes = collector.current.add(text);
              setNote(collector.current.progress);
              if (!bytes) return false;
              setScanning(false);
              void run(() => received(bytes));
              return true;
            }}
          />
        </>
      )}
      <p class="muted device" data-device={phone.identity.device}>
        {t('signedInAs')}: {phone.identity.name} ({phone.identity.member}) · {phone.identity.device}
      </p>
      <LanguageSwitch />
    </section>
  );
}
