// The phone: the replica in memory, its records in IndexedDB, and sync with the server.
// Every edit goes through `edit`, which stores what it changed before it resolves, so the app
// only says "saved" once a killed tab or a restart cannot lose the edit.

import init, { Replica, type HouseholdSummary, type SyncOutcome } from 'hosync-web';
import wasmUrl from 'hosync-web/wasm?url';
import * as store from './store';
import { lang, t } from './i18n';
import type { AppRecord, Identity, WriteOptions } from './store';
import {
  DataKey,
  PBKDF2_ITERATIONS,
  PLAIN,
  type KeyRecord,
  type Sealer,
  fromBase64Url,
  pinKey,
  randomSalt,
  recoveryKey,
} from './keys';

export type { Identity };

/** What the server said when a request failed. */
export class ServerError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export async function failure(res: Response): Promise<ServerError> {
  let message = `${res.status} ${res.statusText}`;
  try {
    const body = await res.json();
    if (typeof body?.message === 'string') message = body.message;
  } catch {
    // Not JSON (a proxy's page): the status says enough.
  }
  return new ServerError(res.status, message);
}

/** The app's version (package.json, set at build), sent with each sync for the device list. */
declare const __APP_VERSION__: string;

/** How long a request may go unanswered before the phone gives up on it (and tries later). */
const ANSWER_TIMEOUT_MS = 90_000;

/** `fetch`, giving up on a server that does not answer in time with words a person reads. It
 * names the app's language, so that the server's errors and refusals come back in it. */
export async function fetchAnswer(url: string, init: RequestInit): Promise<Response> {
  const headers = new Headers(init.headers);
  headers.set('accept-language', lang());
  try {
    return await fetch(url, { ...init, headers, signal: AbortSignal.timeout(ANSWER_TIMEOUT_MS) });
  } catch (e) {
    if (e instanceof DOMException && e.name === 'TimeoutError') throw new ServerError(0, t('serverSilent'));
    throw e;
  }
}

/** A member's request to recover a phone, as the server lists it to the secretary. */
export interface RecoveryRequest {
  device: string;
  member: string;
  member_name: string;
  label: string;
  requested_at: number;
}

/** What the server hands a device for its keys (at enrolment, or `POST /api/v1/phone/keys`). */
interface ServerKeys {
  /** PBKDF2's salt for this device (base64url). */
  device_secret: string;
  /** Wraps the data key; the phone forgets it once it has (base64url). */
  recovery_key: string;
  /** Lets the phone ask for recovery. */
  recovery_secret: string;
}

/** The keys record of a new data key: wrapped under `pin` (salted with the server's secret,
 * or a random salt) and under the server's recovery key when it gave one. */
async function newKeys(dataKey: DataKey, device: string, pin: string, issued: Partial<ServerKeys>): Promise<KeyRecord> {
  const salt = issued.device_secret ? fromBase64Url(issued.device_secret) : randomSalt();
  return {
    device,
    salt,
    iterations: PBKDF2_ITERATIONS,
    pin: await dataKey.wrap(await pinKey(pin, salt, PBKDF2_ITERATIONS)),
    recovery: issued.recovery_key ? await dataKey.wrap(await recoveryKey(issued.recovery_key)) : null,
    recoverySecret: issued.recovery_secret ?? null,
    wrongPins: 0,
  };
}

let ready: Promise<unknown> | undefined;
/** Loads the wasm core once. */
export function loadCore(): Promise<unknown> {
  ready ??= init({ module_or_path: wasmUrl });
  return ready;
}

export type Listener = () => void;

/** Households kept read in Automerge after their screen closes; older ones go back to bytes,
 * so a day of visits does not fill a cheap phone's memory. */
const KEEP_READ = 12;

/** Documents folded or digested per idle moment: each is a few milliseconds of a slow phone. */
const COMPACT_PER_IDLE = 1;

/** Runs `work` when the browser has nothing else to do (typing and drawing come first). */
function whenIdle(work: () => void): void {
  if ('requestIdleCallback' in globalThis) requestIdleCallback(work, { timeout: 10_000 });
  else setTimeout(work, 1_000);
}

export class Phone {
  private pending: Map<string, Set<string>>;
  /** Documents whose pending items changed since they were last written. */
  private pendingChanged = new Set<string>();
  /** The app's record as last written, to write it only when it changes. */
  private appWritten: string | null = null;
  private writing: Promise<void> = Promise.resolve();
  private compacting = false;
  /** Households whose screens opened, least recent first. */
  private recent: string[] = [];
  private listeners = new Set<Listener>();
  private editListeners = new Set<Listener>();
  /** Bumped on every change, so views know to read again. */
  version = 0;
  /** Bumped when the documents change (not the sync status), for reads worth keeping. */
  private dataVersion = 0;
  private listCache: { dataVersion: number; month: string; list: HouseholdSummary[] } | null = null;
  private idsCache: { dataVersion: number; held: Map<string, boolean>; cell: string | null } | null = null;
  syncing = false;
  lastSync: number | null;
  lastError: string | null = null;
  /** Set once the server answered "wipe" and the storage was erased. */
  wiped = false;

  private constructor(
    readonly replica: Replica,
    readonly identity: Identity,
    pending: Record<string, string[]>,
    lastSync: number | null,
    /** How records are written: under the data key, or plain until a PIN is chosen. */
    private sealer: Sealer,
    /** The wrapped keys, or null while the phone has no PIN. */
    public keys: KeyRecord | null,
  ) {
    this.pending = new Map(Object.entries(pending).map(([doc, items]) => [doc, new Set(items)]));
    this.lastSync = lastSync;
  }

  /** The phone as stored, read with `sealer` (the data key its PIN opened, or `PLAIN` for a
   * phone without one), or null when it has not enrolled. */
  static async open(sealer: Sealer = PLAIN, keys: KeyRecord | null = null): Promise<Phone | null> {
    await loadCore();
    const stored = await store.load(sealer);
    if (stored) {
      const replica = Replica.fromRecord(stored.replica);
      for (const { doc, state, chunks } of stored.docs) replica.restoreDocument(doc, state, chunks);
      const phone = new Phone(replica, stored.app.identity, stored.pending, stored.app.lastSync, sealer, keys);
      phone.appWritten = JSON.stringify(stored.app);
      return phone;
    }
    const old = await store.loadOld();
    if (!old) return null;
    // Saved by the app before records: moved in one transaction that also deletes the old
    // record, so a phone interrupted here opens from the old one again.
    const phone = new Phone(Replica.load(old.replica), old.identity, old.pending, old.lastSync, PLAIN, null);
    for (const doc of phone.pending.keys()) phone.pendingChanged.add(doc);
    await phone.persist({ moved: true });
    return phone;
  }

  /** Whether the phone's records are encrypted under a PIN. */
  get protected(): boolean {
    return this.keys !== null;
  }

  /**
   * Encrypts a phone that has no PIN yet (one saved before PINs existed) under a new data key
   * wrapped by `pin`: every record is written again, encrypted, in one transaction with the
   * keys, so the phone is either wholly plain or wholly encrypted. Online, the server's
   * recovery key wraps the data key too; offline, that waits for the next time it is online.
   */
  async protect(pin: string): Promise<void> {
    const dataKey = await DataKey.create();
    const keys = await newKeys(dataKey, this.identity.device, pin, {});
    await this.rewriteUnder(dataKey, keys);
    await this.addRecovery().catch(() => undefined);
  }

  /** Every record written again under `sealer`, with `keys`, replacing what is stored. */
  private async rewriteUnder(sealer: Sealer, keys: KeyRecord): Promise<void> {
    await this.writing;
    this.sealer = sealer;
    this.replica.forgetStored();
    this.appWritten = null;
    for (const doc of this.pending.keys()) this.pendingChanged.add(doc);
    await this.persist({ keys, clearData: true });
    this.keys = keys;
  }

  /** Wraps the data key under the server's recovery key too, if it is not yet: for a phone
   * that chose its PIN offline or enrolled before recovery existed. */
  async addRecovery(): Promise<void> {
    if (!this.keys || this.keys.recovery || !(this.sealer instanceof DataKey)) return;
    const res = await fetchAnswer('/api/v1/phone/keys', {
      method: 'POST',
      headers: { authorization: `Bearer ${this.replica.token}` },
    });
    if (!res.ok) throw await failure(res);
    const issued: ServerKeys = await res.json();
    const keys: KeyRecord = {
      ...this.keys,
      recovery: await this.sealer.wrap(await recoveryKey(issued.recovery_key)),
      recoverySecret: issued.recovery_secret,
    };
    await store.putKeys(keys);
    this.keys = keys;
  }

  /** A new PIN for the data key this phone was opened with (after recovery). */
  async setPin(pin: string): Promise<void> {
    if (!this.keys || !(this.sealer instanceof DataKey)) return;
    const keys: KeyRecord = {
      ...this.keys,
      pin: await this.sealer.wrap(await pinKey(pin, this.keys.salt, this.keys.iterations)),
      wrongPins: 0,
    };
    await store.putKeys(keys);
    this.keys = keys;
  }

  /** Exchanges a one-time code for this phone's token, and stores the new, empty phone,
   * encrypted under a new data key that `pin` and the server's recovery key wrap. */
  static async enrol(code: string, label: string, pin: string): Promise<Phone> {
    await loadCore();
    // The actor is named in the enrolment, so the server knows this phone's changes as its own
    // even when another phone delivers them.
    const actor = Replica.newActor();
    const res = await fetchAnswer('/api/v1/enrol', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ code, label, actor }),
    });
    if (!res.ok) throw await failure(res);
    const enrolment = await res.json();
    const replica = Replica.enrolled(enrolment, actor);
    const { device, member, name, role, scope } = enrolment;
    const dataKey = await DataKey.create();
    const keys = await newKeys(dataKey, device, pin, enrolment);
    const phone = new Phone(replica, { device, member, name, role, scope }, {}, null, dataKey, keys);
    await phone.persist({ keys });
    // Ask the browser not to evict this origin's storage when space runs low.
    await navigator.storage?.persist?.().catch(() => false);
    return phone;
  }

  /** A one-time enrolment code for a member of this secretary's cell, issued online; the
   * server (core's rules) refuses it for anyone else and from a member's phone. */
  async issueCode(member: string): Promise<{ code: string; expires_at: number }> {
    if (!navigator.onLine) throw new ServerError(0, t('issueNeedsNetwork'));
    const res = await fetchAnswer('/api/v1/phone/enrolments', {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${this.replica.token}` },
      body: JSON.stringify({ member }),
    });
    if (!res.ok) throw await failure(res);
    return res.json();
  }

  /** Members' pending requests to recover their phones, that this secretary may approve. */
  async recoveries(): Promise<RecoveryRequest[]> {
    const res = await fetchAnswer('/api/v1/phone/recoveries', {
      headers: { authorization: `Bearer ${this.replica.token}` },
    });
    if (!res.ok) throw await failure(res);
    return res.json();
  }

  async approveRecovery(device: string): Promise<void> {
    const res = await fetchAnswer(`/api/v1/phone/recoveries/${encodeURIComponent(device)}/approve`, {
      method: 'POST',
      headers: { authorization: `Bearer ${this.replica.token}` },
    });
    if (!res.ok) throw await failure(res);
  }

  get isSecretary(): boolean {
    return this.identity.role === 'cell_secretary';
  }

  /** A member's own phone, as opposed to a secretary's or a committee's. */
  get isMember(): boolean {
    return this.identity.role === 'member';
  }

  /** Called after each edit or bundle is stored: the sync loop sends it soon after. */
  onEdit(listener: Listener): () => void {
    this.editListeners.add(listener);
    return () => this.editListeners.delete(listener);
  }

  subscribe(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private changed(data = false): void {
    if (data) this.dataVersion++;
    this.version++;
    for (const listener of this.listeners) listener();
  }

  /**
   * Runs an edit on the replica, notes which items it touched (`note:<id>`, `report`…, or a
   * function of what the edit returned, such as a new note's id), and resolves once it is on
   * disk. Returns what the edit returned.
   */
  async edit<T>(
    doc: string,
    items: string[] | ((result: T) => string[]),
    change: (replica: Replica) => T,
  ): Promise<T> {
    const started = performance.now();
    const result = change(this.replica);
    const set = this.pending.get(doc) ?? new Set();
    for (const item of typeof items === 'function' ? items(result) : items) set.add(item);
    this.pending.set(doc, set);
    this.pendingChanged.add(doc);
    await this.stored(started);
    return result;
  }

  /** After an edit: it goes to disk, then the screens redraw (showing it once it is stored, and
   * not holding up the commit with drawing), then the sync loop hears of it. */
  private async stored(editStarted?: number): Promise<void> {
    try {
      await this.persist();
      // From the edit to its commit, for the benchmark.
      if (editStarted !== undefined) performance.measure('hosync:edit', { start: editStarted });
    } finally {
      this.changed(true);
    }
    for (const listener of this.editListeners) listener();
  }

  /**
   * Creates a document on the replica (a household the secretary adds) and resolves once it is
   * on disk. Returns the new document's id.
   */
  async create(change: (replica: Replica) => string): Promise<string> {
    const doc = change(this.replica);
    this.pending.set(doc, new Set(['profile']));
    this.pendingChanged.add(doc);
    await this.stored();
    return doc;
  }

  /** Whether an item (or, with no item, the document) has changes the server lacks. */
  onPhone(doc: string, item?: string): boolean {
    if (!this.holds(doc)) return false;
    const status = this.replica.status(doc);
    if (status === 'on_server') return false;
    if (item === undefined) return true;
    const set = this.pending.get(doc);
    return !!set && (set.has(item) || set.has('*'));
  }

  private ids(): { held: Map<string, boolean>; cell: string | null } {
    // Asked once per card and per change: answered by core, remembered until the next change.
    if (this.idsCache?.dataVersion !== this.dataVersion) {
      this.idsCache = { dataVersion: this.dataVersion, held: new Map(), cell: this.replica.cellDocId() ?? null };
    }
    return this.idsCache;
  }

  /** A household's screen opened: it stays read, and the least recently opened beyond
   * `KEEP_READ` go back to bytes (each only once it is stored and not being sent). */
  opened(doc: string): void {
    const recent = [...this.recent.filter((d) => d !== doc), doc];
    // Not stored yet or being sent: kept, and tried again after the next opening.
    const kept: string[] = [];
    while (recent.length > 1 && recent.length + kept.length > KEEP_READ) {
      const oldest = recent.shift() as string;
      if (this.holds(oldest) && !this.replica.releaseDocument(oldest)) kept.push(oldest);
    }
    this.recent = [...kept, ...recent];
  }

  /** Whether a document is on this phone; asked once per card, so read once per change. */
  holds(doc: string): boolean {
    const { held } = this.ids();
    let holds = held.get(doc);
    if (holds === undefined) {
      holds = this.replica.holds(doc);
      held.set(doc, holds);
    }
    return holds;
  }

  /** The id of the cell's document on this phone, if one is. */
  cellDoc(): string | null {
    return this.ids().cell;
  }

  /**
   * The households on the phone (see `Replica.householdList`), read once per change of the
   * documents: every household is read in full, which a list of forty redrawn on each status
   * change would pay for on a slow phone.
   */
  householdList(month: string): HouseholdSummary[] {
    const cached = this.listCache;
    if (cached && cached.dataVersion === this.dataVersion && cached.month === month) return cached.list;
    const list = this.replica.householdList(month);
    this.listCache = { dataVersion: this.dataVersion, month, list };
    return list;
  }

  refusal(doc: string): string | null {
    if (!this.holds(doc)) return null;
    const status = this.replica.status(doc);
    return typeof status === 'object' ? status.refused : null;
  }

  /**
   * Writes what changed since the last write to IndexedDB, after any write already under way,
   * and resolves once it is committed.
   */
  persist(options: WriteOptions = {}): Promise<void> {
    const next = this.writing.then(() => this.writeChanges(options));
    // A failed write must not stop later ones; the caller of this one still sees it fail.
    this.writing = next.catch(() => undefined);
    return next;
  }

  private async writeChanges(options: WriteOptions): Promise<void> {
    const started = performance.now();
    const app: AppRecord = { identity: this.identity, lastSync: this.lastSync };
    const appJson = JSON.stringify(app);
    const pending = new Map<string, string[] | null>();
    for (const doc of this.pendingChanged) {
      const items = this.pending.get(doc);
      pending.set(doc, items && items.size > 0 ? [...items] : null);
    }
    const writes = this.replica.takeWrites();
    const changed = this.pendingChanged;
    this.pendingChanged = new Set();
    try {
      const bytes = await store.write(
        { writes, app: appJson === this.appWritten ? undefined : app, pending },
        this.sealer,
        options,
      );
      this.appWritten = appJson;
      performance.measure('hosync:stored', { start: started, detail: { bytes } });
    } catch (e) {
      // Not on disk: the next write writes everything again.
      this.replica.forgetStored();
      this.appWritten = null;
      for (const doc of changed) this.pendingChanged.add(doc);
      throw e;
    }
    this.compactSoon();
  }

  /** Folds documents' piled-up increments into snapshots when the phone has nothing to do. */
  private compactSoon(): void {
    if (this.compacting || this.wiped) return;
    this.compacting = true;
    whenIdle(() => {
      const step = this.writing.then(() => this.compactOne());
      this.writing = step.then(() => undefined);
      void step.then((more) => {
        this.compacting = false;
        if (more) this.compactSoon();
      });
    });
  }

  /** One document compacted; whether there was one to compact. */
  private async compactOne(): Promise<boolean> {
    if (this.wiped) return false;
    const writes = this.replica.compaction(COMPACT_PER_IDLE);
    if (writes.docs.length === 0) return false;
    try {
      await store.write({ writes, pending: new Map() }, this.sealer);
      return true;
    } catch {
      // The increments are still on disk; the next write rewrites everything whole.
      this.replica.forgetStored();
      return false;
    }
  }

  isLocked(): boolean {
    return this.replica.isLocked(Date.now() / 1000);
  }

  /**
   * One sync: round trips until the server has everything and has sent everything. Edits
   * made while a request is out are kept for the next one; the core tracks what was sent.
   */
  async sync(): Promise<void> {
    if (this.syncing || this.wiped) return;
    this.syncing = true;
    this.changed();
    try {
      for (let round = 0; round < 10; round++) {
        const res = await fetchAnswer('/api/v1/sync', {
          method: 'POST',
          headers: { 'content-type': 'application/vnd.hosync.sync', 'x-hosync-app-version': __APP_VERSION__ },
          body: this.replica.startSync() as Uint8Array<ArrayBuffer>,
        });
        if (!res.ok) throw await failure(res);
        const outcome: SyncOutcome = this.replica.finishSync(new Uint8Array(await res.arrayBuffer()));
        // The documents changed (some may be gone): cached reads start again.
        this.dataVersion++;
        if (outcome.wiped) {
          await this.wipe();
          return;
        }
        for (const doc of [...this.pending.keys()]) {
          if (!this.holds(doc) || this.replica.status(doc) === 'on_server') {
            this.pending.delete(doc);
            this.pendingChanged.add(doc);
          }
        }
        this.lastSync = Date.now();
        await this.persist();
        this.changed(true);
        if (!outcome.again) break;
      }
      this.lastError = null;
    } catch (e) {
      this.lastError = e instanceof Error ? e.message : String(e);
      throw e;
    } finally {
      this.syncing = false;
      this.changed();
    }
  }

  private async wipe(): Promise<void> {
    this.wiped = true;
    this.pending.clear();
    await this.writing;
    await store.erase();
    this.changed(true);
  }

  /** The changes the server lacks, as one file, or null when there are none. */
  exportBundle(): Uint8Array | null {
    if (this.replica.unsynced().length === 0) return null;
    return this.replica.exportBundle();
  }

  /** Takes in another phone's bundle; its documents go to the server with the next sync. */
  async importBundle(bytes: Uint8Array): Promise<string[]> {
    const touched = this.replica.importBundle(bytes);
    for (const doc of touched) {
      const set = this.pending.get(doc) ?? new Set();
      set.add('*');
      this.pending.set(doc, set);
      this.pendingChanged.add(doc);
    }
    this.changed(true);
    await this.persist();
    for (const listener of this.editListeners) listener();
    return touched;
  }
}

/**
 * Syncs on start, when the browser comes online or the app comes back to the front, a few
 * seconds after an edit is stored, and every minute while online; after a failure it waits twice as
 * long each time, up to a quarter of an hour.
 */
export class SyncLoop {
  private timer: ReturnType<typeof setTimeout> | undefined;
  private failures = 0;
  static readonly EVERY_MS = 60_000;
  static readonly AFTER_EDIT_MS = 3_000;
  static readonly MAX_BACKOFF_MS = 15 * 60_000;

  constructor(private phone: Phone) {
    phone.onEdit(() => this.soon(SyncLoop.AFTER_EDIT_MS));
    addEventListener('online', () => this.soon(0));
    document.addEventListener('visibilitychange', () => {
      if (document.visibilityState === 'visible') this.soon(0);
    });
    this.soon(0);
  }

  /** Schedules a sync after `ms`, unless one is due sooner. */
  soon(ms: number): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.run(), ms);
  }

  /** Syncs now, for a person's "sync now": as `run`, but its failure is theirs to see. */
  async now(): Promise<void> {
    await this.run();
    if (this.phone.lastError) throw new Error(this.phone.lastError);
  }

  async run(): Promise<void> {
    clearTimeout(this.timer);
    if (!navigator.onLine) {
      // The `online` event starts the next one.
      return;
    }
    try {
      await this.phone.sync();
      this.failures = 0;
      if (!this.phone.wiped) this.soon(SyncLoop.EVERY_MS);
    } catch {
      this.failures++;
      this.soon(Math.min(SyncLoop.MAX_BACKOFF_MS, 5_000 * 2 ** (this.failures - 1)));
    }
  }
}
