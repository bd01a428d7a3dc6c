// The phone's storage in IndexedDB, one record per piece, as core decides them (`takeWrites`):
// the replica's own record, each document's state record and its chunks (a snapshot, then one
// increment per change since), the items edited on this phone that the server may not have yet,
// and who the phone is. Each change is written in one transaction, so what is on disk is always
// a state the app showed, and an edit writes only what it added.
//
// Phones saved before this layout kept everything in one record (`state`/`phone`), read once by
// `loadOld` and moved by the first `write`, which deletes it in the same transaction.

import { openDB, type IDBPDatabase } from 'idb';
import type { StorageWrites } from 'hosync-web';

export interface Identity {
  device: string;
  member: string;
  name: string;
  role: string;
  scope: string;
}

/** What the app keeps beside core's records. */
export interface AppRecord {
  identity: Identity;
  /** Unix milliseconds of the last sync that went through, for the status line. */
  lastSync: number | null;
}

/** A phone as the layout before records kept it. */
export interface OldSaved extends AppRecord {
  /** `Replica.save()`. */
  replica: Uint8Array;
  pending: Record<string, string[]>;
}

export interface StoredDoc {
  doc: string;
  state: Uint8Array;
  chunks: Uint8Array[];
}

export interface Stored {
  /** The replica's own record, for `Replica.fromRecord`. */
  replica: Uint8Array;
  app: AppRecord;
  docs: StoredDoc[];
  pending: Record<string, string[]>;
}

/** One change to write: core's records, the app's record when it changed, and each document's
 * pending items that changed (`null` when none are left). */
export interface Change {
  writes: StorageWrites;
  app?: AppRecord;
  pending: Map<string, string[] | null>;
}

const STORES = ['phone', 'states', 'chunks', 'pending', 'state'];

let opened: Promise<IDBPDatabase> | null = null;

function db(): Promise<IDBPDatabase> {
  opened ??= openDB('hosync', 2, {
    upgrade(database, oldVersion) {
      // Version 1 had only `state`, kept until the phone in it has moved.
      if (oldVersion < 1) database.createObjectStore('state');
      database.createObjectStore('phone');
      database.createObjectStore('states');
      database.createObjectStore('chunks');
      database.createObjectStore('pending');
    },
  });
  return opened;
}

function chunksOf(doc: string): IDBKeyRange {
  return IDBKeyRange.bound([doc, 0], [doc, Infinity]);
}

export async function load(): Promise<Stored | undefined> {
  const tx = (await db()).transaction(['phone', 'states', 'chunks', 'pending'], 'readonly');
  // Whole stores at once: a cursor's step per record costs a slow phone more than the reading.
  const all = (name: string) => {
    const store = tx.objectStore(name);
    return Promise.all([store.getAllKeys(), store.getAll()]);
  };
  const phone = tx.objectStore('phone');
  const [replica, app, [stateKeys, states], [chunkKeys, chunks], [pendingKeys, pendingItems]] =
    await Promise.all([phone.get('replica'), phone.get('app'), all('states'), all('chunks'), all('pending')]);
  await tx.done;
  if (!replica || !app) return undefined;
  const docs = new Map<string, StoredDoc>();
  stateKeys.forEach((key, i) => docs.set(String(key), { doc: String(key), state: states[i], chunks: [] }));
  // Keys sort as [document, chunk number], so each document's chunks come in order.
  chunkKeys.forEach((key, i) => docs.get(String((key as [string, number])[0]))?.chunks.push(chunks[i]));
  const pending: Record<string, string[]> = {};
  pendingKeys.forEach((key, i) => (pending[String(key)] = pendingItems[i]));
  return { replica, app, docs: [...docs.values()], pending };
}

/** A phone saved in the layout before records, if one is waiting to move. */
export async function loadOld(): Promise<OldSaved | undefined> {
  return (await db()).get('state', 'phone');
}

/** The bytes of what a change hands to IndexedDB, for the benchmark. */
function size(value: unknown): number {
  if (value instanceof Uint8Array) return value.byteLength;
  return new TextEncoder().encode(JSON.stringify(value)).byteLength;
}

/**
 * Writes one change in one transaction and resolves once it is committed to disk, not merely
 * queued. Returns the bytes written. `moved` deletes the layout before records in the same
 * transaction.
 */
export async function write(change: Change, moved = false): Promise<number> {
  const tx = (await db()).transaction(STORES, 'readwrite', { durability: 'strict' });
  const phone = tx.objectStore('phone');
  const states = tx.objectStore('states');
  const chunks = tx.objectStore('chunks');
  const pending = tx.objectStore('pending');
  const { writes } = change;
  // Every request is queued at once and awaited together: a failed one aborts the transaction.
  const requests: Promise<unknown>[] = [];
  let bytes = 0;
  type Store = { put(value: unknown, key: IDBValidKey): Promise<unknown> };
  const put = (store: Store, value: unknown, key: IDBValidKey) => {
    bytes += size(value);
    requests.push(store.put(value, key));
  };
  for (const doc of writes.removed) {
    requests.push(states.delete(doc), chunks.delete(chunksOf(doc)), pending.delete(doc));
  }
  if (writes.meta) put(phone, writes.meta, 'replica');
  if (change.app) put(phone, change.app, 'app');
  for (const record of writes.docs) {
    if (record.snapshot) {
      requests.push(chunks.delete(chunksOf(record.doc)));
      put(chunks, record.snapshot, [record.doc, 0]);
    }
    if (record.increment) put(chunks, record.increment, [record.doc, record.chunk]);
    if (record.state) put(states, record.state, record.doc);
  }
  for (const [doc, items] of change.pending) {
    if (items) put(pending, items, doc);
    else requests.push(pending.delete(doc));
  }
  if (moved) requests.push(tx.objectStore('state').delete('phone'));
  await Promise.all([...requests, tx.done]);
  return bytes;
}

export async function erase(): Promise<void> {
  const tx = (await db()).transaction(STORES, 'readwrite', { durability: 'strict' });
  await Promise.all([...STORES.map((s) => tx.objectStore(s).clear()), tx.done]);
}
