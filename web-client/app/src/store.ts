// The phone's storage: one IndexedDB record holding the replica's bytes (every document and
// its sync state), who the phone is, and which items changed since the server last had them.
// One record written in one transaction, so what is on disk is always a state the app showed.

import { openDB, type IDBPDatabase } from 'idb';

export interface Identity {
  device: string;
  member: string;
  name: string;
  role: string;
  scope: string;
}

export interface Saved {
  /** `Replica.save()`. */
  replica: Uint8Array;
  identity: Identity;
  /** Per document id, the items edited on this phone that the server may not have yet. */
  pending: Record<string, string[]>;
  /** Unix milliseconds of the last sync that went through, for the status line. */
  lastSync: number | null;
}

const KEY = 'phone';
let opened: Promise<IDBPDatabase> | null = null;

function db(): Promise<IDBPDatabase> {
  opened ??= openDB('hosync', 1, {
    upgrade(database) {
      database.createObjectStore('state');
    },
  });
  return opened;
}

export async function load(): Promise<Saved | undefined> {
  return (await db()).get('state', KEY);
}

/** Resolves once the record is committed to disk, not merely queued. */
export async function save(saved: Saved): Promise<void> {
  const tx = (await db()).transaction('state', 'readwrite', { durability: 'strict' });
  await tx.store.put(saved, KEY);
  await tx.done;
}

export async function erase(): Promise<void> {
  const tx = (await db()).transaction('state', 'readwrite', { durability: 'strict' });
  await tx.store.clear();
  await tx.done;
}
