// The phone's storage in IndexedDB, one record per piece, as core decides them (`takeWrites`):
// the replica's own record, each document's state record and its chunks (a snapshot, then one
// increment per change since), the items edited on this phone that the server may not have yet,
// and who the phone is. Each change is written in one transaction, so what is on disk is always
// a state the app showed, and an edit writes only what it added.
//
// Every record is bytes, encrypted by the phone's data key (`keys.ts`) and bound to its place;
// only the record of wrapped keys (`keys`) is in the clear. Phones saved before this layout kept
// everything in one plain record (`state`/`phone`), read once by `loadOld` and moved by the
// first `write`, which deletes it in the same transaction.

import { openDB, type IDBPDatabase } from 'idb';
import type { StorageWrites } from 'hosync-web';
import type { KeyRecord, Sealer } from './keys';

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

const DATA = ['phone', 'states', 'chunks', 'pending'];
const ALL = [...DATA, 'state', 'keys'];
const KEYS = 'phone';

let opened: Promise<IDBPDatabase> | null = null;

function db(): Promise<IDBPDatabase> {
  opened ??= openDB('hosync', 3, {
    upgrade(database, oldVersion) {
      // Version 1 had only `state`, kept until the phone in it has moved.
      if (oldVersion < 1) database.createObjectStore('state');
      if (oldVersion < 2) for (const name of DATA) database.createObjectStore(name);
      if (oldVersion < 3) database.createObjectStore('keys');
    },
  });
  return opened;
}

function chunksOf(doc: string): IDBKeyRange {
  return IDBKeyRange.bound([doc, 0], [doc, Infinity]);
}

/** Where a record is, bound into its encryption. */
function where(store: string, key: IDBValidKey): string {
  return `${store}/${JSON.stringify(key)}`;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const json = (value: unknown) => encoder.encode(JSON.stringify(value));
const unjson = <T>(bytes: Uint8Array): T => JSON.parse(decoder.decode(bytes));

export async function loadKeys(): Promise<KeyRecord | undefined> {
  return (await db()).get('keys', KEYS);
}

/** Stores the keys record alone (a wrong PIN counted, a new PIN), committed before it resolves. */
export async function putKeys(keys: KeyRecord): Promise<void> {
  const tx = (await db()).transaction('keys', 'readwrite', { durability: 'strict' });
  await Promise.all([tx.store.put(keys, KEYS), tx.done]);
}

/** Whether any data is stored (a phone that has enrolled), whatever its layout. */
export async function holdsData(): Promise<boolean> {
  const database = await db();
  return Boolean((await database.count('phone')) || (await database.count('state')));
}

export async function load(sealer: Sealer): Promise<Stored | undefined> {
  const tx = (await db()).transaction(DATA, 'readonly');
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
  const open = (store: string, key: IDBValidKey, value: Uint8Array) => sealer.open(where(store, key), value);
  const docs = new Map<string, StoredDoc>();
  const opened = await Promise.all(stateKeys.map((key, i) => open('states', key, states[i])));
  stateKeys.forEach((key, i) => docs.set(String(key), { doc: String(key), state: opened[i], chunks: [] }));
  // Keys sort as [document, chunk number], so each document's chunks come in order.
  const chunksOpened = await Promise.all(chunkKeys.map((key, i) => open('chunks', key, chunks[i])));
  chunkKeys.forEach((key, i) => docs.get(String((key as [string, number])[0]))?.chunks.push(chunksOpened[i]));
  const pending: Record<string, string[]> = {};
  const items = await Promise.all(pendingKeys.map((key, i) => open('pending', key, pendingItems[i])));
  pendingKeys.forEach((key, i) => (pending[String(key)] = unjson(items[i])));
  return {
    replica: await open('phone', 'replica', replica),
    app: unjson(await open('phone', 'app', app)),
    docs: [...docs.values()],
    pending,
  };
}

/** A phone saved in the layout before records, if one is waiting to move. */
export async function loadOld(): Promise<OldSaved | undefined> {
  return (await db()).get('state', 'phone');
}

export interface WriteOptions {
  /** Delete the layout before records in the same transaction. */
  moved?: boolean;
  /** Store this keys record in the same transaction (the phone's first encrypted write). */
  keys?: KeyRecord;
  /** Delete every record of these documents first (a rewrite of the whole phone). */
  clearData?: boolean;
}

/**
 * Writes one change in one transaction and resolves once it is committed to disk, not merely
 * queued. Returns the bytes written.
 */
export async function write(change: Change, sealer: Sealer, options: WriteOptions = {}): Promise<number> {
  const { writes } = change;
  // Encrypted first: a transaction left waiting on anything but its own requests commits.
  const puts: [string, IDBValidKey, Uint8Array][] = [];
  if (writes.meta) puts.push(['phone', 'replica', writes.meta]);
  if (change.app) puts.push(['phone', 'app', json(change.app)]);
  for (const record of writes.docs) {
    if (record.snapshot) puts.push(['chunks', [record.doc, 0], record.snapshot]);
    if (record.increment) puts.push(['chunks', [record.doc, record.chunk], record.increment]);
    if (record.state) puts.push(['states', record.doc, record.state]);
  }
  for (const [doc, items] of change.pending) if (items) puts.push(['pending', doc, json(items)]);
  const sealed = await Promise.all(puts.map(([store, key, bytes]) => sealer.seal(where(store, key), bytes)));

  const tx = (await db()).transaction(ALL, 'readwrite', { durability: 'strict' });
  const store = (name: string) => tx.objectStore(name);
  // Every request is queued at once and awaited together: a failed one aborts the transaction.
  const requests: Promise<unknown>[] = [];
  if (options.clearData) for (const name of DATA) requests.push(store(name).clear());
  for (const doc of writes.removed) {
    requests.push(store('states').delete(doc), store('chunks').delete(chunksOf(doc)), store('pending').delete(doc));
  }
  for (const record of writes.docs) {
    if (record.snapshot) requests.push(store('chunks').delete(chunksOf(record.doc)));
  }
  for (const [doc, items] of change.pending) if (!items) requests.push(store('pending').delete(doc));
  let bytes = 0;
  puts.forEach(([name, key], i) => {
    bytes += sealed[i].byteLength;
    requests.push(store(name).put(sealed[i], key));
  });
  if (options.keys) requests.push(store('keys').put(options.keys, KEYS));
  if (options.moved) requests.push(store('state').delete('phone'));
  await Promise.all([...requests, tx.done]);
  return bytes;
}

/** Erases the phone: the wrapped keys first, in a transaction of their own, so the data is
 * unreadable even if erasing the rest is interrupted. */
export async function erase(): Promise<void> {
  const database = await db();
  const keys = database.transaction('keys', 'readwrite', { durability: 'strict' });
  await Promise.all([keys.store.clear(), keys.done]);
  const tx = database.transaction(ALL, 'readwrite', { durability: 'strict' });
  await Promise.all([...ALL.map((s) => tx.objectStore(s).clear()), tx.done]);
}
