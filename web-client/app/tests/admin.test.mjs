// Administration in the staff dashboard, in headless Chromium at 1366×768 against the real
// server: an administrator gives a password reset code and the person sets a new password on the
// public page and signs in with it; a cell's enrolment sheet is printed to PDF and a phone enrols
// with a code read from it; that phone's row in the device list shows its app version and last
// sync, and it is revoked there after the confirmation dialog; a secretary's phone issues a code
// for a member of the cell, which enrols the member's phone. Screenshots and the PDF go to
// HOSYNC_STAFF_OUT (screenshots/, pdf/).

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Server, enrol, launch, phone, policyViolations, storedKeys, watchPolicy } from './harness.mjs';

const OUT = process.env.HOSYNC_STAFF_OUT ?? '';

let server;
let browser;

before(async () => {
  server = await Server.start({ scale: 0.01 });
  server.addUser('quantri', 'admin', 'hsp');
  server.addUser('lan', 'commune_committee', 'hsp');
  browser = await launch();
  if (OUT) {
    mkdirSync(join(OUT, 'screenshots'), { recursive: true });
    mkdirSync(join(OUT, 'pdf'), { recursive: true });
  }
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

async function desk() {
  const context = await browser.newContext({
    baseURL: server.base,
    viewport: { width: 1366, height: 768 },
    locale: 'vi-VN',
    timezoneId: 'Asia/Ho_Chi_Minh',
  });
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  watchPolicy(page);
  return { context, page, errors };
}

async function signIn(page, login, password = `${login}-password`) {
  await page.goto('/staff/');
  await page.getByLabel('Tên đăng nhập').fill(login);
  await page.getByLabel('Mật khẩu').fill(password);
  await page.getByRole('button', { name: 'Đăng nhập' }).click();
  await page.getByTestId('who').waitFor();
}

async function shot(page, name) {
  if (OUT) await page.screenshot({ path: join(OUT, 'screenshots', `${name}.png`) });
}

test('a password reset code sets a new password, once', async () => {
  const { context, page, errors } = await desk();
  await signIn(page, 'quantri');
  // The administrator is offered every administration page; a commune committee is not.
  for (const link of ['Tài khoản', 'Kích hoạt', 'Thiết bị', 'Nhật ký']) await page.getByRole('link', { name: link }).waitFor();
  await page.goto('/staff/#/accounts');
  const row = page.locator('tr[data-login=lan]');
  await row.waitFor();
  await row.getByRole('button', { name: 'Cấp mã đặt lại mật khẩu' }).click();
  const code = (await page.getByTestId('reset-code').textContent()).trim();
  assert.match(code, /^[A-Z0-9]{5}-[A-Z0-9]{5}$/);
  await shot(page, 'admin-accounts-reset-code');

  const person = await desk();
  await person.page.goto('/staff/#/password');
  await person.page.locator('input[name=login]').fill('lan');
  await person.page.locator('input[name=code]').fill(code.toLowerCase());
  await person.page.locator('input[name=password]').fill('mật khẩu mới của Lan');
  await person.page.locator('input[name=again]').fill('mật khẩu mới của Lan');
  await shot(person.page, 'admin-password-page');
  await person.page.getByRole('button', { name: 'Đặt mật khẩu mới' }).click();
  await person.page.getByTestId('password-set').waitFor();
  await signIn(person.page, 'lan', 'mật khẩu mới của Lan');
  assert.equal(await person.page.getByRole('link', { name: 'Tài khoản' }).count(), 0, 'a commune committee manages no accounts');
  assert.equal(await person.page.getByRole('link', { name: 'Nhật ký' }).count(), 0, 'nor reads the audit log');
  // The code is spent.
  const again = await person.page.request.post('/api/v1/password-reset', {
    data: { login: 'lan', code, password: 'một mật khẩu khác nữa' },
  });
  assert.equal(again.status(), 403);
  assert.deepEqual(errors.concat(person.errors), []);
  await person.context.close();
  await context.close();
});

test('an enrolment sheet printed to PDF enrols a phone; its PIN recovery is approved and it is revoked from the device list', async () => {
  const { context, page, errors } = await desk();
  await signIn(page, 'quantri');
  const cell = server.ids.cell;
  await page.goto(`/staff/#/enrol?cell=${cell}`);
  await page.getByRole('button', { name: 'Tạo phiếu mã' }).click();
  const card = page.locator('.enrol-card[data-member]').first();
  await card.waitFor();
  assert.ok((await page.locator('.enrol-card svg').count()) >= 1, 'each code has its QR code');
  await shot(page, 'admin-enrolment-sheet');
  if (OUT) {
    const pdf = join(OUT, 'pdf', 'enrolment-sheet.pdf');
    await page.pdf({ path: pdf, format: 'A4', printBackground: true });
    assert.equal(readFileSync(pdf).subarray(0, 5).toString(), '%PDF-');
  }
  const member = await card.getAttribute('data-member');
  const code = (await card.getByTestId('enrol-code').textContent()).trim();

  const field = await phone(browser, server);
  await enrol(field, code);
  // The member forgot the PIN: the phone asks, with the secret it keeps for that alone.
  const keys = await storedKeys(field.page);
  const askRecovery = () =>
    field.page.evaluate(async ({ device, recoverySecret }) => {
      const res = await fetch('/api/v1/recovery', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ device, recovery_secret: recoverySecret }),
      });
      return { status: res.status, body: await res.json() };
    }, keys);
  assert.deepEqual(await askRecovery(), { status: 202, body: { status: 'waiting' } });

  await page.goto(`/staff/#/devices?unit=${cell}`);
  const request = page.locator('.recoveries li', { hasText: member });
  await shot(page, 'admin-devices-recovery');
  await request.getByRole('button', { name: 'Duyệt' }).click();
  await page.locator('.recoveries').getByText('Không có yêu cầu nào.').waitFor();
  const approved = await askRecovery();
  assert.equal(approved.body.status, 'approved');
  assert.equal(typeof approved.body.recovery_key, 'string');
  await field.context.close();

  const row = page.locator(`tr[data-holder="${member}"]`);
  await row.waitFor();
  const version = JSON.parse(readFileSync(new URL('../package.json', import.meta.url))).version;
  assert.equal((await row.locator('[data-col=app-version]').textContent()).trim(), version);
  assert.notEqual((await row.locator('[data-col=last-sync]').textContent()).trim(), 'chưa đồng bộ');
  await shot(page, 'admin-devices');
  await row.getByRole('button', { name: 'Thu hồi' }).click();
  const dialog = page.locator('dialog.confirm');
  await dialog.getByText('Thu hồi thiết bị?').waitFor();
  await shot(page, 'admin-devices-confirm-revoke');
  await dialog.getByRole('button', { name: 'Thu hồi thiết bị' }).click();
  await row.locator('[data-col=state]', { hasText: 'Đã thu hồi' }).waitFor();
  const devices = await (await page.request.get(`/api/v1/devices?unit=${cell}`)).json();
  assert.ok(devices.find((d) => d.holder === member).revoked_at, 'revoked on the server');

  // The audit page shows the revocation, filtered by what was done.
  await page.goto('/staff/#/audit?action=revoke');
  await page.locator('tr[data-action=revoke]').first().waitFor();
  await shot(page, 'admin-audit');
  assert.deepEqual(errors, []);
  await context.close();
});

test("a secretary's phone issues a code, online, that enrols a member's phone", async () => {
  const secretary = await phone(browser, server);
  await enrol(secretary, server.code(server.ids.secretary));
  await secretary.page.locator('nav').getByRole('link', { name: 'Chi bộ', exact: true }).click();
  const row = secretary.page.locator(`ul.roster li[data-member="${server.ids.member}"]`);
  await row.getByRole('button', { name: 'Cấp mã kích hoạt' }).click();
  const code = (await row.getByTestId('issued-code').textContent()).trim();
  assert.match(code, /^[A-Z0-9]{5}-[A-Z0-9]{5}$/);
  assert.equal(await row.locator('.qr svg').count(), 1);
  if (OUT) await secretary.page.screenshot({ path: join(OUT, 'screenshots', 'admin-secretary-issues-code.png') });
  const member = await phone(browser, server);
  await enrol(member, code);
  await member.page.locator('header .who').waitFor();
  await member.context.close();
  await secretary.context.close();
});

test('no page broke the content security policy', () => {
  assert.deepEqual(policyViolations, []);
});
