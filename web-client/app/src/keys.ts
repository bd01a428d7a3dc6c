// The phone's keys. Every record the app keeps in IndexedDB is encrypted (AES-GCM, WebCrypto)
// with the phone's data key: a random key that is never stored as it is, only wrapped under a
// key derived from the member's PIN (PBKDF2) and under a recovery key that only the server
// keeps, which it hands back once the member's secretary approves. The record of wrapped keys
// is the one record in the clear; see the README for what this protects against and what not.

/** PBKDF2-SHA-256 rounds: about half a second on a phone four times slower than the bench's
 * machine (WebCrypto runs it natively, so Chromium's CPU throttling leaves it alone; the bench
 * reports its time here apart). */
export const PBKDF2_ITERATIONS = 1_000_000;
/** Wrong PINs after which the PIN-wrapped key is destroyed and only recovery opens the phone. */
export const MAX_WRONG_PINS = 5;
/** Shortest PIN the app accepts. */
export const PIN_MIN_LENGTH = 6;

export interface Wrapped {
  iv: Uint8Array;
  key: Uint8Array;
}

/** What the phone keeps in the clear to open its data. */
export interface KeyRecord {
  device: string;
  /** PBKDF2's salt: the secret the server handed the device at enrolment, or a random one. */
  salt: Uint8Array;
  iterations: number;
  /** The data key wrapped under the PIN's key; null once too many wrong PINs destroyed it. */
  pin: Wrapped | null;
  /** The data key wrapped under the server's recovery key; null until the server gave one. */
  recovery: Wrapped | null;
  /** Lets this phone ask the server for recovery, and nothing else. */
  recoverySecret: string | null;
  wrongPins: number;
}

/** How records are written and read: encrypted under the data key, or (a phone that has not
 * chosen a PIN yet) as they are. `where` names the record, so a record moved to another place
 * does not decrypt. */
export interface Sealer {
  seal(where: string, bytes: Uint8Array): Promise<Uint8Array>;
  open(where: string, bytes: Uint8Array): Promise<Uint8Array>;
}

export const PLAIN: Sealer = {
  seal: async (_where, bytes) => bytes,
  open: async (_where, bytes) => bytes,
};

const IV_BYTES = 12;
const encoder = new TextEncoder();

function random(bytes: number): Uint8Array<ArrayBuffer> {
  return crypto.getRandomValues(new Uint8Array(bytes));
}

export class DataKey implements Sealer {
  private constructor(readonly key: CryptoKey) {}

  static async create(): Promise<DataKey> {
    const key = await crypto.subtle.generateKey({ name: 'AES-GCM', length: 256 }, true, ['encrypt', 'decrypt']);
    return new DataKey(key);
  }

  async seal(where: string, bytes: Uint8Array): Promise<Uint8Array> {
    const iv = random(IV_BYTES);
    const params = { name: 'AES-GCM', iv, additionalData: encoder.encode(where) };
    const sealed = new Uint8Array(await crypto.subtle.encrypt(params, this.key, bytes as Uint8Array<ArrayBuffer>));
    const out = new Uint8Array(IV_BYTES + sealed.byteLength);
    out.set(iv);
    out.set(sealed, IV_BYTES);
    return out;
  }

  async open(where: string, bytes: Uint8Array): Promise<Uint8Array> {
    const params = { name: 'AES-GCM', iv: bytes.subarray(0, IV_BYTES), additionalData: encoder.encode(where) };
    return new Uint8Array(await crypto.subtle.decrypt(params, this.key, bytes.subarray(IV_BYTES) as Uint8Array<ArrayBuffer>));
  }

  /** This key wrapped under `wrapping` (the PIN's key or the recovery key). */
  async wrap(wrapping: CryptoKey): Promise<Wrapped> {
    const iv = random(IV_BYTES);
    const key = new Uint8Array(await crypto.subtle.wrapKey('raw', this.key, wrapping, { name: 'AES-GCM', iv }));
    return { iv, key };
  }

  /** The data key from its wrapped form; fails (OperationError) when `wrapping` is not the key
   * it was wrapped under, which is how a wrong PIN shows. */
  static async unwrap(wrapped: Wrapped, wrapping: CryptoKey): Promise<DataKey> {
    const key = await crypto.subtle.unwrapKey(
      'raw',
      wrapped.key as Uint8Array<ArrayBuffer>,
      wrapping,
      { name: 'AES-GCM', iv: wrapped.iv as Uint8Array<ArrayBuffer> },
      { name: 'AES-GCM', length: 256 },
      // Extractable, so it can be wrapped again under a new PIN or a recovery key.
      true,
      ['encrypt', 'decrypt'],
    );
    return new DataKey(key);
  }
}

/** The key a PIN stands for on this phone. */
export async function pinKey(pin: string, salt: Uint8Array, iterations: number): Promise<CryptoKey> {
  const base = await crypto.subtle.importKey('raw', encoder.encode(pin), 'PBKDF2', false, ['deriveKey']);
  return crypto.subtle.deriveKey(
    { name: 'PBKDF2', salt: salt as Uint8Array<ArrayBuffer>, iterations, hash: 'SHA-256' },
    base,
    { name: 'AES-GCM', length: 256 },
    false,
    ['wrapKey', 'unwrapKey'],
  );
}

/** The server's recovery key (base64url), as a key to wrap the data key under. */
export async function recoveryKey(encoded: string): Promise<CryptoKey> {
  return crypto.subtle.importKey('raw', fromBase64Url(encoded), 'AES-GCM', false, ['wrapKey', 'unwrapKey']);
}

export function fromBase64Url(encoded: string): Uint8Array<ArrayBuffer> {
  const b64 = encoded.replace(/-/g, '+').replace(/_/g, '/');
  const binary = atob(b64 + '='.repeat((4 - (b64.length % 4)) % 4));
  return Uint8Array.from(binary, (c) => c.charCodeAt(0));
}

/** A new salt when the server gave none (a phone enrolled before keys existed). */
export function randomSalt(): Uint8Array {
  return random(32);
}
