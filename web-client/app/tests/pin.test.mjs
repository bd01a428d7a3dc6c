// The PIN in headless Chromium against the real server: it opens the phone, a wrong one is
// counted, fifteen minutes in the background ask for it again, five wrong ones leave only
// recovery, which the secretary approves from their phone with the member's unsent note still
// there; and the records hold nothing readable.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Server, launch, phone, enrol, unlock, reopen, syncedAfter, policyViolations, PIN, plainTextIn, storedKeys } from './harness.mjs';

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

const NOTE = 'Ghi chép riêng tư: gia đình có khó khăn, cần vay vốn, chưa muốn ai biết.';

async function writeNote(page, household, text) {
  await page.locator(`a.card[data-household="${household}"]`).click();
  await page.locator('.note-form textarea[name=note]').fill(text);
  await page.locator('.note-form').getByRole('button', { name: 'Lưu' }).click();
  await page.locator('.note-form .saved').waitFor();
}

/** The household's screen, whatever screen the app opened on. */
function showHousehold(page, household) {
  return page.evaluate((doc) => (location.hash = `#/h/${encodeURIComponent(doc)}`), `h:${household}`);
}

/** What the keys record holds, in short. */
async function keysRecord(page) {
  const keys = await storedKeys(page);
  return keys && { pin: keys.pin !== null, recovery: keys.recovery !== null, wrongPins: keys.wrongPins };
}

test('the PIN opens the phone, a wrong one is counted, and the background asks for it again', async () => {
  const { page, context } = await phone(browser, server);
  await enrol({ page }, server.code(server.ids.member));
  assert.deepEqual(await keysRecord(page), { pin: true, recovery: true, wrongPins: 0 });
  await context.setOffline(true);

  await page.reload();
  await page.getByRole('heading', { name: 'Mở dữ liệu' }).waitFor();
  assert.equal(await page.locator('a.card').count(), 0, 'nothing shows before the PIN');
  await unlock(page, '000000');
  await page.getByText('Sai mã PIN. Còn 4 lần thử').waitFor();
  await unlock(page);
  await page.locator('a.card').first().waitFor();
  assert.equal((await keysRecord(page)).wrongPins, 0, 'the right PIN clears the count');

  // Sixteen minutes in the background.
  await page.evaluate(() => {
    const state = { value: 'hidden' };
    Object.defineProperty(document, 'visibilityState', { configurable: true, get: () => state.value });
    document.dispatchEvent(new Event('visibilitychange'));
    const now = Date.now;
    Date.now = () => now() + 16 * 60_000;
    state.value = 'visible';
    document.dispatchEvent(new Event('visibilitychange'));
  });
  await page.getByRole('heading', { name: 'Mở dữ liệu' }).waitFor();
  await unlock(page);
  await page.locator('a.card').first().waitFor();
  await context.close();
});

test('five wrong PINs leave only recovery, which the secretary approves; the unsent note is kept', async () => {
  const member = await phone(browser, server);
  await enrol(member, server.code(server.ids.member));
  const card = member.page.locator('a.card').first();
  const household = await card.getAttribute('data-household');
  const head = (await card.locator('strong').textContent()).trim();
  const name = (await member.page.locator('header .who').textContent()).trim();

  // Offline, a note the server has not seen.
  await member.context.setOffline(true);
  await writeNote(member.page, household, NOTE);
  for (const text of [NOTE, head, name]) {
    assert.equal(await plainTextIn(member.page, text), null, `no record holds ${JSON.stringify(text)} in the clear`);
  }

  await member.page.reload();
  for (let left = 4; left > 0; left--) {
    await unlock(member.page, `99999${left}`);
    await member.page.getByText(`Còn ${left} lần thử`).waitFor();
  }
  await unlock(member.page, '999990');
  await member.page.getByRole('heading', { name: 'Khôi phục dữ liệu' }).waitFor();
  assert.deepEqual(await keysRecord(member.page), { pin: false, recovery: true, wrongPins: 5 });
  await member.page.reload();
  await member.page.getByRole('heading', { name: 'Khôi phục dữ liệu' }).waitFor();

  await member.context.setOffline(false);
  await member.page.getByRole('button', { name: 'Gửi yêu cầu khôi phục' }).click();
  await member.page.getByText('Đã gửi yêu cầu').waitFor();

  // The secretary approves from the cell screen of their phone.
  const secretary = await phone(browser, server);
  await enrol(secretary, server.code(server.ids.secretary));
  await secretary.page.locator('nav').getByRole('link', { name: 'Chi bộ', exact: true }).click();
  const request = secretary.page.locator('.recoveries li', { hasText: name });
  await request.getByRole('button', { name: 'Duyệt' }).click();
  await request.getByText('Đã duyệt').waitFor();

  await member.page.getByRole('button', { name: 'Kiểm tra lại' }).click();
  await member.page.getByRole('heading', { name: 'Đặt mã PIN mới' }).waitFor();
  const NEW_PIN = '135791';
  await member.page.locator('input[name=pin]').fill(NEW_PIN);
  await member.page.locator('input[name=pin-again]').fill(NEW_PIN);
  await member.page.getByRole('button', { name: 'Lưu mã PIN' }).click();
  await member.page.locator('header .who').waitFor();
  await showHousehold(member.page, household);
  await member.page.locator('li.note', { hasText: NOTE }).waitFor();
  assert.deepEqual(await keysRecord(member.page), { pin: true, recovery: true, wrongPins: 0 });

  // The new PIN opens it; the old one no longer does; the note reaches the server.
  await member.page.reload();
  await unlock(member.page, PIN);
  await member.page.getByText('Sai mã PIN').waitFor();
  await unlock(member.page, NEW_PIN);
  await member.page.locator('li.note', { hasText: NOTE }).waitFor();
  await syncedAfter(member.page, 0);
  await reopen(secretary.page);
  await secretary.page.locator('header .who').waitFor();
  await showHousehold(secretary.page, household);
  await secretary.page.locator('li.note', { hasText: NOTE }).waitFor();
  await member.context.close();
  await secretary.context.close();
});

test('the content security policy refused nothing the PIN tests did', () => {
  assert.deepEqual(policyViolations, []);
});
