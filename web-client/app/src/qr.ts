// Bundles as QR codes: a bundle is cut into numbered parts, one QR code each, shown one after
// another; the receiving phone scans them in any order with the browser's BarcodeDetector
// (Chrome on Android has it) and puts them together.

import qrcode from 'qrcode-generator';

/** Base64 characters per code: small enough for a cheap camera to read off a cheap screen. */
const PART_CHARS = 800;
const MAX_PARTS = 40;
const PREFIX = 'hosync:bundle:';

function toBase64(bytes: Uint8Array): string {
  let binary = '';
  for (const b of bytes) binary += String.fromCharCode(b);
  return btoa(binary);
}

function fromBase64(text: string): Uint8Array {
  const binary = atob(text);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

/** The parts' texts, or null when the bundle needs more codes than anyone would scan. */
export function bundleParts(bytes: Uint8Array): string[] | null {
  const text = toBase64(bytes);
  const count = Math.max(1, Math.ceil(text.length / PART_CHARS));
  if (count > MAX_PARTS) return null;
  const id = Math.random().toString(36).slice(2, 8);
  return Array.from(
    { length: count },
    (_, i) => `${PREFIX}${id}:${i + 1}/${count}:${text.slice(i * PART_CHARS, (i + 1) * PART_CHARS)}`,
  );
}

export function qrSvg(text: string): string {
  const code = qrcode(0, 'L');
  code.addData(text, 'Byte');
  code.make();
  return code.createSvgTag({ cellSize: 4, margin: 4, scalable: true });
}

/** Collects scanned parts until a bundle is whole. */
export class PartCollector {
  private id: string | null = null;
  private parts: string[] = [];
  private count = 0;

  /** Takes one scanned text; returns the bundle once every part is in. */
  add(text: string): Uint8Array | null {
    const match = /^hosync:bundle:([a-z0-9]+):(\d+)\/(\d+):(.*)$/s.exec(text);
    if (!match) return null;
    const [, id, index, count, body] = match;
    if (id !== this.id) {
      this.id = id;
      this.count = Number(count);
      this.parts = new Array(this.count).fill('');
    }
    this.parts[Number(index) - 1] = body;
    return this.parts.every((p) => p !== '') ? fromBase64(this.parts.join('')) : null;
  }

  get progress(): string {
    return `${this.parts.filter((p) => p !== '').length}/${this.count}`;
  }
}

/** A code scanned from an enrolment QR (`hosync:enrol:CODE`), or the text as typed. */
export function enrolmentCode(text: string): string {
  return text.trim().replace(/^hosync:enrol:/i, '');
}

interface Detector {
  detect(source: CanvasImageSource): Promise<{ rawValue: string }[]>;
}

/** The browser's QR reader, where it has one. */
export function qrDetector(): Detector | null {
  const ctor = (globalThis as { BarcodeDetector?: new (o: object) => Detector }).BarcodeDetector;
  return ctor ? new ctor({ formats: ['qr_code'] }) : null;
}
