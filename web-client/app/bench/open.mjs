// The phone on a slow CPU (the design's bars: usable offline within 1 s on a 4×-throttled CPU,
// with 100 households on the phone; a note saved and committed in under 50 ms; under 4 KB
// written per edit). Seeds a demo district and, for a cell secretary's phone and a commune
// committee's (the most a phone holds), enrols it, syncs it once, then, offline with Chromium's
// CPU throttled: reopens the app and times from the PIN's entry (from navigation for an app
// without a PIN) to the key derived, to the data read into the core and to the households list
// on screen; reads the tab's memory; saves a note on each of a few
// households, timing the edit from core to IndexedDB's commit (where the app measures it) and
// from the press of "save" to the note shown as saved (the app says so only once it is
// committed, and redraws the household's screen meanwhile), and counting the bytes of the IndexedDB records the save
// added or changed. Prints one JSON line.
//
// The records are compared by content, whatever their layout, so the same script measures an
// app built from an older commit (`cargo xtask bench` runs both).
//
// Run by `cargo xtask bench`; by hand: HOSYNC_BIN=… HOSYNC_APP_DIR=… node bench/open.mjs

import { readFileSync } from 'node:fs';
import { Server, launch, phone, enrol, unlock } from '../tests/harness.mjs';

const SCALE = Number(process.env.HOSYNC_BENCH_SCALE ?? '0.05');
const COMMUNE = process.env.HOSYNC_BENCH_COMMUNE ?? 'hsp-x01';
const THROTTLE = 4;
const RUNS = 5;
const EDITS = 5;

/** Every IndexedDB record of the origin, as `store key` → { bytes, digest }. */
function records(page) {
  return page.evaluate(async () => {
    const parts = (value, out) => {
      if (value instanceof Uint8Array) out.push(value);
      else if (value instanceof ArrayBuffer) out.push(new Uint8Array(value));
      else if (value && typeof value === 'object') {
        for (const [k, v] of Object.entries(value)) {
          out.push(new TextEncoder().encode(k));
          parts(v, out);
        }
      } else out.push(new TextEncoder().encode(String(value)));
      return out;
    };
    const out = {};
    for (const { name } of await indexedDB.databases()) {
      const db = await new Promise((resolve, reject) => {
        const open = indexedDB.open(name);
        open.onsuccess = () => resolve(open.result);
        open.onerror = () => reject(open.error);
      });
      for (const store of db.objectStoreNames) {
        const tx = db.transaction(store);
        const read = (method) =>
          new Promise((resolve) => (tx.objectStore(store)[method]().onsuccess = (e) => resolve(e.target.result)));
        const [keys, values] = await Promise.all([read('getAllKeys'), read('getAll')]);
        for (let i = 0; i < keys.length; i++) {
          const chunks = parts(values[i], []);
          const bytes = chunks.reduce((n, c) => n + c.byteLength, 0);
          const joined = new Uint8Array(bytes);
          let at = 0;
          for (const c of chunks) {
            joined.set(c, at);
            at += c.byteLength;
          }
          const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', joined)).join(',');
          out[`${name} ${store} ${JSON.stringify(keys[i])}`] = { bytes, digest };
        }
      }
      db.close();
    }
    return out;
  });
}

/** Bytes of the records in `after` that are new or differ from `before`. */
function written(before, after) {
  let bytes = 0;
  for (const [key, record] of Object.entries(after)) {
    if (before[key]?.digest !== record.digest) bytes += record.bytes;
  }
  return bytes;
}

/** Saves a note on the household page open now; milliseconds from "save" to "saved". */
function saveNote(page, text) {
  return page.evaluate(
    (text) =>
      new Promise((resolve, reject) => {
        const form = document.querySelector('.note-form');
        const area = form.querySelector('textarea[name=note]');
        area.value = text;
        area.dispatchEvent(new Event('input', { bubbles: true }));
        // Let the app take the text in before saving, as a person's typing would.
        requestAnimationFrame(() => {
          const started = performance.now();
          const done = new MutationObserver(() => {
            if (form.querySelector('.saved')) {
              done.disconnect();
              resolve(performance.now() - started);
            }
          });
          done.observe(form, { childList: true, subtree: true });
          form.querySelector('button').click();
          setTimeout(() => reject(new Error('the note was not saved within 30 s')), 30_000);
        });
      }),
    text,
  );
}

/**
 * The tab's memory: the resident memory of the renderer process that holds it, after a garbage
 * collection (the JavaScript heap, the wasm core's memory and the page's rendering; Chromium's
 * own counters leave the wasm memory out). The browser runs one renderer at a time, so the
 * largest is the tab's.
 */
async function memory(browser, cdp) {
  await cdp.send('HeapProfiler.collectGarbage');
  const session = await browser.newBrowserCDPSession();
  const { processInfo } = await session.send('SystemInfo.getProcessInfo');
  await session.detach();
  const resident = processInfo
    .filter((p) => p.type === 'renderer')
    .map((p) => Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${p.id}/status`, 'utf8'))?.[1] ?? 0) * 1024);
  return Math.max(...resident);
}

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

async function measure(browser, server, holder, label) {
  const { page, context } = await phone(browser, server);
  const started = Date.now();
  await enrol({ page }, server.code(holder));
  await page.locator('a.card').first().waitFor();
  const firstSyncMs = Date.now() - started;
  const households = await page.locator('a.card').count();
  const stored = await page.evaluate(async () => (await navigator.storage.estimate()).usage ?? 0);

  await context.setOffline(true);
  const cdp = await context.newCDPSession(page);
  await cdp.send('Emulation.setCPUThrottlingRate', { rate: THROTTLE });
  const opens = [];
  for (let i = 0; i < RUNS; i++) {
    await page.reload();
    const pin = page.locator('.unlock input[name=pin]');
    await Promise.race([pin.waitFor({ timeout: 60_000 }), page.locator('a.card').first().waitFor({ timeout: 60_000 })]);
    if (await pin.count()) await unlock(page);
    await page.locator('a.card').first().waitFor({ timeout: 60_000 });
    opens.push(
      await page.evaluate(() => {
        const at = (name) => performance.getEntriesByName(name)[0]?.startTime ?? NaN;
        // Counted from the PIN's entry where the app asks for one, else from navigation.
        const from = at('hosync:pin-entered') || 0;
        return {
          derived: at('hosync:key-derived') - from,
          loaded: at('hosync:loaded') - from,
          shown: at('hosync:households') - from,
        };
      }),
    );
  }
  opens.sort((a, b) => a.shown - b.shown);
  const open = opens[Math.floor(RUNS / 2)];
  const memoryBytes = await memory(browser, cdp);

  const saves = [];
  const commits = [];
  const bytes = [];
  const ids = await page.locator('a.card').evaluateAll((cards) => cards.map((c) => c.dataset.household));
  for (let i = 0; i < Math.min(EDITS, ids.length); i++) {
    await page.goto(`/#/h/${encodeURIComponent(`h:${ids[i]}`)}`);
    await page.locator('.note-form').waitFor({ timeout: 60_000 });
    const before = await records(page);
    const text = `Lần thăm ${i + 1}: gia đình khoẻ, các cháu đi học đều, đã bàn việc vay vốn trồng chè. `.repeat(2);
    saves.push(await saveNote(page, text.trim()));
    // The edit from core to IndexedDB's commit, where the app measures it (not before records).
    const commit = await page.evaluate(() => performance.getEntriesByName('hosync:edit').at(-1)?.duration ?? null);
    if (commit !== null) commits.push(commit);
    bytes.push(written(before, await records(page)));
  }
  await context.close();
  return {
    phone: label,
    households,
    stored_bytes: stored,
    first_sync_ms: firstSyncMs,
    key_derivation_ms_median: Number.isNaN(open.derived) ? null : Math.round(open.derived),
    loaded_ms_median: Math.round(open.loaded),
    open_ms_median: Math.round(open.shown),
    open_ms_max: Math.round(opens[RUNS - 1].shown),
    memory_bytes: memoryBytes,
    commit_ms_median: commits.length ? Math.round(median(commits)) : null,
    save_ms_median: Math.round(median(saves)),
    save_ms_max: Math.round(Math.max(...saves)),
    edit_bytes_median: median(bytes),
    edit_bytes_max: Math.max(...bytes),
  };
}

const server = await Server.start({ scale: SCALE });
const browser = await launch({ args: ['--renderer-process-limit=1'] });
try {
  server.addUser('bench-commune', 'commune_committee', COMMUNE);
  const phones = [
    await measure(browser, server, server.ids.secretary, `the secretary of ${server.ids.cell}`),
    await measure(browser, server, 'bench-commune', `a committee of commune ${COMMUNE}`),
  ];
  console.log(JSON.stringify({ scale: SCALE, throttle: THROTTLE, runs: RUNS, edits: EDITS, phones }));
} finally {
  await browser.close();
  await server.stop();
}
