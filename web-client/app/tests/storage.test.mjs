// The phone's storage in headless Chromium: an edit adds a record of its own size instead of
// rewriting the replica, and a phone saved whole by the app before records opens in the new
// layout with its unsent note, which then reaches the server.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Server, launch, phone, enrol, syncedAfter, policyViolations, APP_DIR } from './harness.mjs';
import { reopen, PIN, plainTextIn } from './harness.mjs';

/** The wasm-bindgen output the app was built from, to make a phone of the old layout. */
const PKG = process.env.HOSYNC_WEB_PKG ?? join(APP_DIR, '..', 'pkg');

let server;
let browser;

before(async () => {
  server = await Server.start();
  browser = await launch();
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

/** Every record of the app's IndexedDB, as store → [{ key, bytes }]. */
function records(page) {
  return page.evaluate(async () => {
    const db = await new Promise((resolve, reject) => {
      const open = indexedDB.open('hosync');
      open.onsuccess = () => resolve(open.result);
      open.onerror = () => reject(open.error);
    });
    const size = (v) => (v instanceof Uint8Array ? v.byteLength : new TextEncoder().encode(JSON.stringify(v)).byteLength);
    const out = {};
    for (const name of db.objectStoreNames) {
      const tx = db.transaction(name);
      const [keys, values] = await Promise.all(
        ['getAllKeys', 'getAll'].map(
          (m) => new Promise((resolve) => (tx.objectStore(name)[m]().onsuccess = (e) => resolve(e.target.result))),
        ),
      );
      out[name] = keys.map((key, i) => ({ key, bytes: size(values[i]) }));
    }
    db.close();
    return out;
  });
}

const total = (recs) => Object.values(recs).flat().reduce((sum, r) => sum + r.bytes, 0);

async function writeNote(page, text) {
  await page.locator('.note-form textarea[name=note]').fill(text);
  await page.locator('.note-form').getByRole('button', { name: 'Lưu' }).click();
  await page.locator('.note-form .saved').waitFor();
}

test('an edit adds a record of its own size, not a rewrite of the replica', async () => {
  const { page, context } = await phone(browser, server);
  await enrol({ page }, server.code(server.ids.secretary));
  await context.setOffline(true);
  const card = page.locator('a.card').first();
  const household = await card.getAttribute('data-household');
  const before = await records(page);
  const replica = total(before);
  const doc = `h:${household}`;
  const chunksOf = (recs) => recs.chunks.filter((r) => r.key[0] === doc);
  assert.equal(chunksOf(before).length, 1, 'a synced document is one snapshot');

  await card.click();
  const text = 'Gia đình ổn định, đã làm xong chuồng trại, cần vay vốn nuôi bò. '.repeat(3);
  await writeNote(page, text);
  const after = await records(page);
  const added = chunksOf(after).filter((r) => !chunksOf(before).some((b) => b.key[1] === r.key[1]));
  assert.equal(added.length, 1, 'one chunk for the edit');
  assert.equal(added[0].key[1], 1);
  assert.ok(added[0].bytes < 4096, `the edit's chunk is ${added[0].bytes} bytes`);
  assert.equal(chunksOf(after)[0].bytes, chunksOf(before)[0].bytes, 'the snapshot is not rewritten');
  const written = await page.evaluate(() => performance.getEntriesByName('hosync:stored').at(-1).detail.bytes);
  assert.ok(written < 4096, `the edit wrote ${written} bytes of a replica of ${replica}`);
  assert.ok(total(after) - replica < 4096, 'the records grew by the edit, not by a copy');

  // The edit is there after the app is closed and opened again, offline.
  await reopen(page);
  await page.locator('li.note', { hasText: text.trim() }).waitFor();
  await context.close();
});

test('a phone saved whole by the app before records opens in the new layout and loses nothing', async () => {
  const { page, context } = await phone(browser, server);
  // Core as the app was built with it, and a page of the app's origin that does not open the
  // app's database, so the old layout can be written first.
  await context.route('**/test-pkg/**', (route) => {
    const name = new URL(route.request().url()).pathname.split('/').pop();
    if (name === 'blank.html') return route.fulfill({ contentType: 'text/html', body: '<!doctype html><title>blank</title>' });
    const type = name.endsWith('.wasm') ? 'application/wasm' : 'text/javascript';
    return route.fulfill({ contentType: type, body: readFileSync(join(PKG, name)) });
  });
  await page.goto('/test-pkg/blank.html');
  const code = server.code(server.ids.member);
  const TEXT = 'Ghi trước khi cập nhật ứng dụng: hộ cần giống lúa.';
  const saved = await page.evaluate(
    async ({ code, TEXT }) => {
      const core = await import('/test-pkg/hosync_web.js');
      await core.default({ module_or_path: '/test-pkg/hosync_web_bg.wasm' });
      const actor = core.Replica.newActor();
      const res = await fetch('/api/v1/enrol', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ code, label: 'old app', actor }),
      });
      const enrolment = await res.json();
      const replica = core.Replica.enrolled(enrolment, actor);
      for (let round = 0; round < 10; round++) {
        const answer = await fetch('/api/v1/sync', {
          method: 'POST',
          headers: { 'content-type': 'application/vnd.hosync.sync' },
          body: replica.startSync(),
        });
        if (!replica.finishSync(new Uint8Array(await answer.arrayBuffer())).again) break;
      }
      const month = new Date().toISOString().slice(0, 7);
      const household = replica.householdList(month)[0];
      const today = new Date().toISOString().slice(0, 10);
      const note = replica.addNote(household.docId, enrolment.member, today, TEXT, []);
      const { device, member, name, role, scope } = enrolment;
      const old = {
        replica: replica.save(),
        identity: { device, member, name, role, scope },
        pending: { [household.docId]: [`note:${note}`] },
        lastSync: Date.now(),
      };
      // The layout before records: database version 1, one record.
      await new Promise((resolve, reject) => {
        const open = indexedDB.open('hosync', 1);
        open.onupgradeneeded = () => open.result.createObjectStore('state');
        open.onsuccess = () => {
          const tx = open.result.transaction('state', 'readwrite');
          tx.objectStore('state').put(old, 'phone');
          tx.oncomplete = () => {
            open.result.close();
            resolve();
          };
          tx.onerror = () => reject(tx.error);
        };
        open.onerror = () => reject(open.error);
      });
      return { household: household.id, bytes: old.replica.byteLength, name: enrolment.name };
    },
    { code, TEXT },
  );
  assert.ok(saved.bytes > 1000, 'the old phone held its documents');

  // Unable to sync first (no service worker holds the app yet, so it loads online): the phone
  // opens from what it moved, with the note still to send.
  const refuse = (route) => route.abort('internetdisconnected');
  await context.route('**/api/v1/sync', refuse);
  await page.goto('/');
  // Moved, then encrypted under the PIN the member chooses now.
  await page.getByRole('heading', { name: 'Đặt mã PIN' }).waitFor();
  const plain = await records(page);
  assert.deepEqual(plain.state, [], 'the old record is gone once moved');
  assert.notEqual(await plainTextIn(page, saved.name), null, "before a PIN, the member's name is in the clear");
  await page.locator('input[name=pin]').fill(PIN);
  await page.locator('input[name=pin-again]').fill(PIN);
  await page.getByRole('button', { name: 'Lưu mã PIN' }).click();
  const card = page.locator(`a.card[data-household="${saved.household}"]`);
  await card.waitFor();
  const moved = await records(page);
  assert.deepEqual(moved.state, [], 'the old record is gone');
  assert.equal(moved.keys.length, 1, 'the wrapped keys are stored');
  assert.equal(await plainTextIn(page, TEXT), null, 'no record holds the note in the clear');
  assert.equal(await plainTextIn(page, saved.name), null, "no record holds the member's name in the clear");
  assert.ok(moved.chunks.length > 1 && moved.states.length === moved.chunks.length, JSON.stringify(moved.states));
  assert.ok(moved.pending.some((r) => r.key === `h:${saved.household}`), 'the note is still to send');
  await card.click();
  await page.locator('li.note', { hasText: TEXT }).waitFor();

  // Online: the note reaches the server and nothing is left to send.
  await context.unroute('**/api/v1/sync', refuse);
  await page.evaluate(() => dispatchEvent(new Event('online')));
  await syncedAfter(page, 0);
  const synced = await records(page);
  assert.deepEqual(synced.pending, [], 'nothing left to send');
  await context.close();
});

test('the content security policy refused nothing the storage tests did', () => {
  assert.deepEqual(policyViolations, []);
});
