// The field app in headless Chromium against the real server: a member's month offline, two
// phones editing the same note and rating, a bundle carried by another phone, and revocation.
// Screenshots of each main screen at 360×640 go to HOSYNC_SCREENSHOTS for a person to look at.
//
// The tests share one server and run in order: later ones build on the note and report the
// first one wrote, as the month does.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { Server, launch, phone, shot, SHOTS, enrol, syncedAfter, policyViolations, watchPolicy } from './harness.mjs';
import { reopen, unlock } from './harness.mjs';

let server;
let browser;
/** The member's first phone, their second, and their secretary's. */
let A, B, S;
let household;
const NOTE = 'Gia đình khỏe, con đi học đều; cần hỗ trợ giống ngô.';
const FLAG = 'Xin hỗ trợ giống ngô vụ đông.';
const TASKS = 'Thăm đủ các hộ, dự sinh hoạt chi bộ.';
const CONTENT = 'Đã thăm hộ, nắm tâm tư nguyện vọng.';

before(async () => {
  server = await Server.start();
  browser = await launch();
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

const status = (page) => page.locator('[data-testid=sync-status]');

async function lastSync(page) {
  return Number(await status(page).getAttribute('data-last-sync'));
}

async function syncNow(page) {
  const since = await lastSync(page);
  await tab(page, 'Đồng bộ');
  await page.getByRole('button', { name: 'Đồng bộ ngay' }).click();
  await syncedAfter(page, since);
}

async function tab(page, name) {
  await page.locator('nav').getByRole('link', { name, exact: true }).click();
}

async function openHousehold(page, id) {
  await tab(page, 'Hộ');
  await page.locator(`a.card[data-household="${id}"]`).click();
  await page.locator('.note-form').waitFor();
}

function note(page, text) {
  return page.locator('li.note', { hasText: text });
}

async function writeNote(page, text) {
  await page.locator('.note-form textarea[name=note]').fill(text);
  await page.locator('.note-form').getByRole('button', { name: 'Lưu' }).click();
  await page.locator('.note-form .saved').waitFor();
}

async function editNote(page, from, to) {
  const id = await note(page, from).first().getAttribute('data-note');
  const item = page.locator(`li.note[data-note="${id}"]`);
  await item.getByRole('button', { name: 'Sửa' }).click();
  await item.locator('textarea').fill(to);
  await item.getByRole('button', { name: 'Lưu' }).click();
  await note(page, to).waitFor();
}

test("a member's month offline reaches the server and the secretary", async () => {
  A = await phone(browser, server);
  await A.page.goto('/');
  await A.page.getByLabel('Mã kích hoạt').waitFor();
  await shot(A.page, '01-enrol');
  // English on request, Vietnamese again after.
  await A.page.getByRole('button', { name: 'English' }).click();
  await A.page.getByRole('heading', { name: 'Enrol this phone' }).waitFor();
  await A.page.getByRole('button', { name: 'Tiếng Việt' }).click();
  await A.page.getByRole('heading', { name: 'Kích hoạt điện thoại' }).waitFor();
  await enrol(A, server.code(server.ids.member));
  const cards = A.page.locator('a.card');
  assert.ok((await cards.count()) >= 1, 'the member sees their households');
  household = await cards.first().getAttribute('data-household');
  await shot(A.page, '02-households');

  // No network from here: the reload is served by the service worker.
  await A.context.setOffline(true);
  await reopen(A.page);
  await A.page.locator('header .who').waitFor();
  assert.match(await status(A.page).innerText(), /Không có mạng/);

  await openHousehold(A.page, household);
  await writeNote(A.page, NOTE);
  assert.equal(await note(A.page, NOTE).locator('.badge').getAttribute('data-status'), 'on_phone');
  await A.page.locator('.flag-form textarea[name=flag]').fill(FLAG);
  await A.page.getByRole('button', { name: 'Nêu kiến nghị' }).click();
  await A.page.locator('li.flag', { hasText: FLAG }).waitFor();
  // A new flag offers the moves core allows from open: escalate or resolve.
  assert.deepEqual(await A.page.locator('li.flag', { hasText: FLAG }).locator('.actions button').allInnerTexts(), [
    'Báo cáo cấp trên',
    'Đã giải quyết',
  ]);
  await shot(A.page, '03-household');

  await tab(A.page, 'Báo cáo');
  await A.page.locator('textarea[name=tasks]').fill(TASKS);
  await A.page.locator('textarea[name=householdContent]').fill(CONTENT);
  await A.page.locator('input[name=selfRating][value=good]').check();
  await A.page.getByRole('button', { name: 'Nộp báo cáo' }).click();
  await A.page.locator('.report-form .saved').waitFor();
  await shot(A.page, '04-report');

  // Still offline: everything written is still there after a reload.
  await reopen(A.page);
  await tab(A.page, 'Báo cáo');
  assert.equal(await A.page.locator('textarea[name=tasks]').inputValue(), TASKS);
  assert.ok(await A.page.locator('input[name=selfRating][value=good]').isChecked());
  await openHousehold(A.page, household);
  await note(A.page, NOTE).waitFor();
  await A.page.locator('li.flag', { hasText: FLAG }).waitFor();
  await tab(A.page, 'Đồng bộ');
  await A.page.locator('ul.pending li').first().waitFor({ timeout: 5000 });
  assert.equal(await A.page.locator('ul.pending li').count(), 2, 'the household and the report wait');
  await shot(A.page, '05-sync-offline');

  // The network comes back: the app syncs by itself.
  const before = await lastSync(A.page);
  await A.context.setOffline(false);
  await syncedAfter(A.page, before);
  await A.page.getByTestId('all-synced').waitFor();
  await openHousehold(A.page, household);
  assert.equal(await note(A.page, NOTE).locator('.badge').getAttribute('data-status'), 'on_server');

  // The secretary's phone receives the note, the flag and the report.
  S = await phone(browser, server);
  await enrol(S, server.code(server.ids.secretary));
  await openHousehold(S.page, household);
  await note(S.page, NOTE).waitFor();
  await S.page.locator('li.flag', { hasText: FLAG }).waitFor();
  await tab(S.page, 'Chi bộ');
  // The member's phone lists the households the cell assigns to them, as core says; each list
  // is read once it has rendered after the tab changes.
  await S.page.locator('ul.assignments li[data-household] select[name=assignee]').first().waitFor();
  const assigned = await S.page
    .locator('ul.assignments li[data-household]')
    .evaluateAll((items) => items.map((li) => [li.dataset.household, li.querySelector('select[name=assignee]').value]));
  await tab(A.page, 'Hộ');
  await A.page.locator('a.card').first().waitFor();
  const listed = await A.page.locator('a.card').evaluateAll((cards) => cards.map((a) => a.dataset.household));
  assert.deepEqual(
    listed.sort(),
    assigned
      .filter(([, member]) => member === server.ids.member)
      .map(([h]) => h)
      .sort(),
  );
  const report = S.page.locator(`ul.reports li[data-member="${server.ids.member}"]`);
  await report.getByText(TASKS).waitFor();
  assert.match(await report.innerText(), /Đã nộp ngày/);
  await report.locator('input[value=good]').check();
  await report.locator('textarea[name=comment]').fill('Hoàn thành tốt, cần thăm hộ thường xuyên hơn.');
  await report.getByRole('button', { name: 'Đánh giá' }).click();
  await report.locator('.saved').waitFor();
  await shot(S.page, '06-secretary-cell');
  await syncNow(S.page);

  // The rating reaches the member.
  await syncNow(A.page);
  await tab(A.page, 'Báo cáo');
  await A.page.getByText('Hoàn thành tốt, cần thăm hộ thường xuyên hơn.').waitFor();
});

test('two phones edit one note and the rating offline: the note merges, the rating is a conflict', async () => {
  assert.ok(A && S, 'runs after the month test');
  B = await phone(browser, server);
  await enrol(B, server.code(server.ids.member));
  await openHousehold(A.page, household);
  await openHousehold(B.page, household);
  await note(B.page, NOTE).waitFor();

  await A.context.setOffline(true);
  await B.context.setOffline(true);
  await editNote(A.page, NOTE, `${NOTE} Đã hẹn thăm lại.`);
  await editNote(B.page, NOTE, `Sáng 20/11: ${NOTE}`);
  for (const [p, rating] of [
    [A.page, 'excellent'],
    [B.page, 'completed'],
  ]) {
    await tab(p, 'Báo cáo');
    await p.locator(`input[name=selfRating][value=${rating}]`).check();
    await p.locator('.report-form').getByRole('button', { name: 'Lưu' }).click();
    await p.locator('.report-form .saved').waitFor();
  }

  for (const p of [A, B]) {
    const since = await lastSync(p.page);
    await p.context.setOffline(false);
    await syncedAfter(p.page, since);
  }
  await syncNow(A.page);
  const merged = `Sáng 20/11: ${NOTE} Đã hẹn thăm lại.`;
  for (const p of [A.page, B.page]) {
    await openHousehold(p, household);
    await note(p, merged).waitFor();
  }

  await syncNow(S.page);
  await tab(S.page, 'Chi bộ');
  const conflict = S.page.locator('ul.conflicts li[data-field="self_rating"]');
  await conflict.waitFor();
  const values = await conflict.locator('.choice .value').allInnerTexts();
  assert.deepEqual(values.sort(), ['Hoàn thành nhiệm vụ', 'Hoàn thành xuất sắc nhiệm vụ']);
  await conflict.scrollIntoViewIfNeeded();
  await shot(S.page, '07-conflict');
  await conflict.locator('.choice', { hasText: 'Hoàn thành xuất sắc nhiệm vụ' }).getByRole('button').click();
  await conflict.waitFor({ state: 'detached' });
  await syncNow(S.page);
  await syncNow(B.page);
  await tab(B.page, 'Báo cáo');
  assert.ok(await B.page.locator('input[name=selfRating][value=excellent]').isChecked());
});

test('a bundle exported offline reaches the server from the phone that imports it', async () => {
  assert.ok(A && B && S, 'runs after the merge test');
  const BUNDLED = 'Ghi chép gửi qua máy bí thư: hộ cần giấy tờ vay vốn.';
  await A.context.setOffline(true);
  await openHousehold(A.page, household);
  await writeNote(A.page, BUNDLED);
  // The tab is killed right after "saved", and the app opened again with no network.
  await A.page.close({ runBeforeUnload: false });
  A.page = await A.context.newPage();
  watchPolicy(A.page);
  await A.page.goto('/');
  await unlock(A.page);
  await openHousehold(A.page, household);
  await note(A.page, BUNDLED).waitFor();
  await tab(A.page, 'Đồng bộ');
  await A.page.getByRole('button', { name: 'Hiện mã QR' }).click();
  await A.page.locator('figure.qr svg').waitFor();
  await shot(A.page, '08-bundle-qr');
  const download = A.page.waitForEvent('download');
  await A.page.getByRole('button', { name: 'Xuất tệp' }).click();
  const file = join(SHOTS, 'bundle.hosync');
  await (await download).saveAs(file);

  // The secretary takes it in with no network, and delivers it once theirs comes back.
  await S.context.setOffline(true);
  await tab(S.page, 'Đồng bộ');
  await S.page.locator('input[name=bundle]').setInputFiles(file);
  await S.page.getByText('Đã nhận').waitFor();
  const since = await lastSync(S.page);
  await S.context.setOffline(false);
  await syncedAfter(S.page, since);

  // The member's other phone gets it from the server while the first is still offline.
  await syncNow(B.page);
  await openHousehold(B.page, household);
  await note(B.page, BUNDLED).waitFor();
  await A.context.setOffline(false);
});

test('a revoked phone is wiped at its next sync', async () => {
  assert.ok(B, 'runs after the bundle test');
  await tab(B.page, 'Đồng bộ');
  const device = await B.page.locator('[data-device]').getAttribute('data-device');
  server.revoke(device);
  await B.page.getByRole('button', { name: 'Đồng bộ ngay' }).click();
  await B.page.getByText('Thiết bị đã bị thu hồi').waitFor();
  await B.page.getByLabel('Mã kích hoạt').waitFor();
  await shot(B.page, '09-wiped');
  const stored = await B.page.evaluate(async () => {
    const db = await new Promise((resolve, reject) => {
      const open = indexedDB.open('hosync');
      open.onerror = () => reject(open.error);
      open.onsuccess = () => resolve(open.result);
    });
    let records = 0;
    for (const name of db.objectStoreNames) {
      records += await new Promise((resolve) => (db.transaction(name).objectStore(name).count().onsuccess = (e) => resolve(e.target.result)));
    }
    return db.objectStoreNames.contains('keys') ? records : -1;
  });
  assert.equal(stored, 0, 'nothing of the phone, its keys included, is left in IndexedDB');
  await B.page.reload();
  await B.page.getByLabel('Mã kích hoạt').waitFor();
});

test('a phone away longer than the lock period shows nothing until it syncs', async () => {
  assert.ok(A, 'runs after the month test');
  const { page, context } = A;
  await tab(page, 'Hộ');
  await page.locator('a.card').first().waitFor();
  await context.setOffline(true);
  // Thirty-one days on, with no contact since: past the demo server's 30-day lock period.
  await page.clock.install({ time: Date.now() + 31 * 24 * 3600 * 1000 });
  await reopen(page);
  await page.getByText('Dữ liệu đã khóa').waitFor();
  assert.equal(await page.locator('a.card').count(), 0, 'no household shows while locked');
  assert.equal(await page.locator('nav').count(), 0, 'nor any other screen');
  await shot(page, '10-locked');
  // Back within the period (the phone reached the server yesterday, as far as it knows).
  await page.clock.setSystemTime(Date.now());
  // The network returns: the app syncs by itself and opens again.
  await context.setOffline(false);
  await page.locator('a.card').first().waitFor();
});

test('a secretary adds a household offline, closes another and marks a member working away', async () => {
  assert.ok(S, 'runs after the month test');
  const P = await phone(browser, server);
  await enrol(P, server.code(server.ids.secretary));
  await P.context.setOffline(true);
  const { page } = P;

  await tab(page, 'Chi bộ');
  await page.getByRole('button', { name: 'Thêm hộ mới' }).click();
  const form = page.locator('form.add-household');
  await form.locator('input[name=head]').fill('Sùng A Tú');
  await form.locator('input[name=village]').fill('Thôn Nậm Mì');
  await form.locator('input[name=people]').fill('4');
  await form.locator('input[name=livelihood]').fill('Trồng ngô');
  await form.getByRole('button', { name: 'Thêm', exact: true }).click();
  await page.getByRole('heading', { name: 'Sùng A Tú' }).waitFor();
  await shot(page, '11-new-household');

  await tab(page, 'Hộ');
  await page.locator('a.card', { hasText: 'Sùng A Tú' }).waitFor();
  const others = await page
    .locator('a.card')
    .evaluateAll((cards, keep) => cards.map((a) => a.dataset.household).filter((h) => h !== keep), household);
  const closing = others.find((h) => !h.startsWith('hh-'));
  assert.ok(closing, 'a household of the cell to close');
  await page.locator(`a.card[data-household="${closing}"]`).click();
  await page.getByRole('button', { name: 'Đóng hộ' }).click();
  const close = page.locator('form.close-form');
  await close.locator('select[name=reason]').selectOption('moved_away');
  await close.locator('input[name=detail]').fill('Chuyển về Hà Giang');
  await close.getByRole('button', { name: 'Đóng hộ' }).click();
  await page.locator('[data-closed=moved_away]').waitFor();
  assert.equal(await page.locator('.note-form').count(), 0, 'a closed household takes no new visits');
  await shot(page, '12-closed-household');
  await tab(page, 'Hộ');
  assert.equal(await page.locator(`section > ul.cards > li > a.card[data-household="${closing}"]`).count(), 0, 'off the list');
  await page.locator('details.closed-households').waitFor();

  await tab(page, 'Chi bộ');
  const row = page.locator(`ul.roster li[data-member="${server.ids.member}"]`);
  await row.locator('select[name=status]').selectOption('working_away');
  await row.locator('input[name=detail]').fill('Hà Nội, từ tháng 11');
  await row.getByRole('button', { name: 'Lưu' }).click();
  await row.locator('.saved').waitFor();

  // The network comes back: all of it reaches the server, and the cell's other phone.
  const since = await lastSync(page);
  await P.context.setOffline(false);
  await syncedAfter(page, since);
  await syncNow(S.page);
  await tab(S.page, 'Hộ');
  await S.page.locator('a.card', { hasText: 'Sùng A Tú' }).waitFor();
  assert.equal(await S.page.locator(`section > ul.cards > li > a.card[data-household="${closing}"]`).count(), 0);
  await tab(S.page, 'Chi bộ');
  await S.page.locator(`ul.roster li[data-member="${server.ids.member}"]`, { hasText: 'Đi làm ăn xa' }).waitFor();
  await P.context.close();
});

test('the content security policy refused nothing the app does', () => {
  assert.deepEqual(policyViolations, []);
});
