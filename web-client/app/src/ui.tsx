// Pieces every screen uses: async actions with their errors, the per-item sync badge, the
// "saved" line, the rating picker, names of members and documents, the camera's QR reader and
// the language switch.

import { useEffect, useRef, useState } from 'preact/hooks';
import type { ComponentChildren } from 'preact';
import { parseDocId, ratings, type Cell, type RatingCode } from 'hosync-web';
import type { Phone } from './phone';
import { t, codeLabel, lang, setLang } from './i18n';
import { monthVi } from './dates';
import { qrDetector } from './qr';

export function message(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** A button that runs an async action, shows it is busy, and shows its error. */
export function useAction(): [boolean, string | null, (action: () => Promise<unknown>) => Promise<boolean>] {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const run = async (action: () => Promise<unknown>) => {
    setBusy(true);
    setError(null);
    try {
      await action();
      return true;
    } catch (e) {
      setError(message(e));
      return false;
    } finally {
      setBusy(false);
    }
  };
  return [busy, error, run];
}

export function ErrorLine({ error }: { error: string | null }) {
  return error ? <p class="error" role="alert">{error}</p> : null;
}

export function StatusBadge({ phone, doc, item }: { phone: Phone; doc: string; item?: string }) {
  const refused = phone.refusal(doc);
  if (refused && phone.onPhone(doc, item)) {
    return <span class="badge refused" title={refused} data-status="refused">{t('refused')}: {refused}</span>;
  }
  return phone.onPhone(doc, item) ? (
    <span class="badge on-phone" data-status="on_phone">{t('onPhone')}</span>
  ) : (
    <span class="badge on-server" data-status="on_server">{t('onServer')}</span>
  );
}

/** The cell's document on this phone, read, or null before the first sync. */
export function readCell(phone: Phone): Cell | null {
  const id = phone.cellDoc();
  return id ? phone.replica.cell(id) : null;
}

export function nameOf(cell: Cell | null, member: string | null): string {
  if (!member) return t('unassigned');
  return cell?.members.find((m) => m.id === member)?.name ?? member;
}

export function LanguageSwitch() {
  return (
    <button
      class="link lang"
      onClick={() => {
        setLang(lang() === 'vi' ? 'en' : 'vi');
        // Every screen reads its words at render time; one reload renders them all anew.
        dispatchEvent(new Event('hosync-lang'));
      }}
    >
      {t('language')}
    </button>
  );
}

/** The camera, read by the browser's QR detector until `onText` accepts a code. */
export function Scanner({ onText }: { onText: (text: string) => boolean }) {
  const video = useRef<HTMLVideoElement>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    const detector = qrDetector();
    let stream: MediaStream | null = null;
    let timer: ReturnType<typeof setInterval> | undefined;
    navigator.mediaDevices
      ?.getUserMedia({ video: { facingMode: 'environment' } })
      .then((s) => {
        stream = s;
        if (!video.current || !detector) return;
        video.current.srcObject = s;
        void video.current.play();
        timer = setInterval(async () => {
          if (!video.current) return;
          for (const code of await detector.detect(video.current).catch(() => [])) {
            if (onText(code.rawValue)) clearInterval(timer);
          }
        }, 300);
      })
      .catch((e) => setError(message(e)));
    return () => {
      clearInterval(timer);
      stream?.getTracks().forEach((track) => track.stop());
    };
  }, []);
  return (
    <div class="scanner">
      <video ref={video} muted playsInline />
      <ErrorLine error={error} />
    </div>
  );
}

/** The "saved" line a form shows once its edit is on disk. */
export function SavedLine({ saved }: { saved: boolean }) {
  return saved ? (
    <p class="saved" role="status">
      {t('saved')}
    </p>
  ) : null;
}

export function RatingPicker(props: { name: string; value: RatingCode | null; onChange: (r: RatingCode) => void }) {
  return (
    <fieldset class="ratings">
      {ratings().map((r) => (
        <label>
          <input type="radio" name={props.name} value={r.code} checked={props.value === r.code} onChange={() => props.onChange(r.code)} />
          {codeLabel(r)}
        </label>
      ))}
    </fieldset>
  );
}

/** What a person reads for a document: the household's head, whose report for which month, or the cell. */
export function docName(phone: Phone, cell: Cell | null, doc: string): string {
  const id = parseDocId(doc);
  switch (id.kind) {
    case 'household':
      return phone.holds(doc) ? phone.replica.household(doc).head : doc;
    case 'report':
      return `${t('reportTitle')} ${monthVi(id.month)} · ${nameOf(cell, id.member)}`;
    case 'cell':
      return t('tabCell');
  }
}

export function Centered({ children }: { children: ComponentChildren }) {
  return <main class="screen centered">{children}</main>;
}

export function useOnline(): boolean {
  const [online, setOnline] = useState(navigator.onLine);
  useEffect(() => {
    const on = () => setOnline(true);
    const off = () => setOnline(false);
    addEventListener('online', on);
    addEventListener('offline', off);
    return () => {
      removeEventListener('online', on);
      removeEventListener('offline', off);
    };
  }, []);
  return online;
}
