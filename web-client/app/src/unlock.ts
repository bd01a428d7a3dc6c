// Opening the phone: which screen comes first, the PIN checked against the wrapped data key
// (wrong ones counted, the fifth destroying the PIN-wrapped key), and recovery through the
// server once the member's secretary approves.

import * as store from './store';
import { DataKey, MAX_WRONG_PINS, PIN_MIN_LENGTH, type KeyRecord, pinKey, recoveryKey } from './keys';
import { ServerError, failure, fetchAnswer } from './phone';
import { t } from './i18n';

export type Opening =
  /** Nothing stored: enrol. */
  | { kind: 'enrol' }
  /** Encrypted: ask for the PIN. */
  | { kind: 'pin'; keys: KeyRecord }
  /** Encrypted, and the PIN-wrapped key destroyed: only recovery opens it. */
  | { kind: 'recover'; keys: KeyRecord }
  /** Data saved before PINs existed: it opens, and the member chooses a PIN. */
  | { kind: 'plain' };

export async function opening(): Promise<Opening> {
  const keys = await store.loadKeys();
  if (keys) return keys.pin ? { kind: 'pin', keys } : { kind: 'recover', keys };
  return (await store.holdsData()) ? { kind: 'plain' } : { kind: 'enrol' };
}

export class WrongPin extends Error {
  constructor(
    /** Tries left before only recovery opens the phone. */
    readonly left: number,
    /** The keys as stored now. */
    readonly keys: KeyRecord,
  ) {
    super(t('wrongPin').replace('{n}', String(left)));
  }
}

/** A PIN's problem, or null when it will do. */
export function pinProblem(pin: string, again: string): string | null {
  if (!new RegExp(`^\\d{${PIN_MIN_LENGTH},}$`).test(pin)) return t('pinTooShort');
  if (pin !== again) return t('pinMismatch');
  return null;
}

/** The data key, when `pin` is right. A wrong PIN is counted before this throws `WrongPin`. */
export async function unlock(keys: KeyRecord, pin: string): Promise<DataKey> {
  if (!keys.pin) throw new WrongPin(0, keys);
  performance.mark('hosync:pin-entered');
  const wrapping = await pinKey(pin, keys.salt, keys.iterations);
  let key: DataKey;
  try {
    key = await DataKey.unwrap(keys.pin, wrapping);
  } catch (e) {
    if (!(e instanceof DOMException && e.name === 'OperationError')) throw e;
    const wrongPins = keys.wrongPins + 1;
    const counted: KeyRecord = { ...keys, wrongPins, pin: wrongPins >= MAX_WRONG_PINS ? null : keys.pin };
    await store.putKeys(counted);
    throw new WrongPin(Math.max(0, MAX_WRONG_PINS - wrongPins), counted);
  }
  performance.mark('hosync:key-derived');
  if (keys.wrongPins > 0) await store.putKeys({ ...keys, wrongPins: 0 });
  return key;
}

/** Asks the server for the recovery key: null while the secretary has not approved. */
export async function recover(keys: KeyRecord): Promise<DataKey | null> {
  if (!keys.recovery || !keys.recoverySecret) throw new ServerError(0, t('recoverNone'));
  if (!navigator.onLine) throw new ServerError(0, t('recoverNeedsNetwork'));
  const res = await fetchAnswer('/api/v1/recovery', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ device: keys.device, recovery_secret: keys.recoverySecret }),
  });
  if (!res.ok) throw await failure(res);
  const answer: { status: string; recovery_key?: string } = await res.json();
  if (answer.status !== 'approved' || !answer.recovery_key) return null;
  return DataKey.unwrap(keys.recovery, await recoveryKey(answer.recovery_key));
}
