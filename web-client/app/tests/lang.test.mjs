// Language: the staff dashboard switched to English shows English, keeps the choice across a
// reload and gets the server's refusals in English; the field app switched to English shows a
// refusal from the server (a wrong enrolment code) in English, and in Vietnamese by default.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Server, launch, phone, policyViolations, shot, watchPolicy } from './harness.mjs';

let server;
let browser;

before(async () => {
  server = await Server.start();
  server.addUser('staff', 'district_staff', 'hsp');
  server.addUser('quantri', 'admin', 'hsp');
  browser = await launch();
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

test('the staff dashboard speaks English when switched, and remembers it', async () => {
  const context = await browser.newContext({ baseURL: server.base, viewport: { width: 1366, height: 768 }, locale: 'vi-VN' });
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  watchPolicy(page);
  await page.goto('/staff/');
  // Vietnamese first, as staff read it.
  await page.getByLabel('Tên đăng nhập').waitFor();
  assert.equal(await page.evaluate(() => document.documentElement.lang), 'vi');
  await page.getByRole('button', { name: 'English' }).click();
  await page.getByLabel('Login').waitFor();
  await page.getByLabel('Login').fill('staff');
  await page.getByLabel('Password').fill('staff-password');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByTestId('who').waitFor();
  await page.getByRole('link', { name: 'Overview' }).waitFor();
  await page.getByRole('button', { name: 'Sign out' }).waitFor();
  assert.match(await page.locator('.counts').innerText(), /households not assigned/);
  assert.equal(await page.evaluate(() => document.documentElement.lang), 'en');
  await shot(page, 'staff-english');

  // A reload keeps English, and what the server refuses comes back in English too.
  await page.goto('/staff/#/household/nowhere');
  await page.reload();
  const refusal = page.locator('.refusal');
  await refusal.waitFor();
  const said = await refusal.innerText();
  assert.match(said, /This was not found within the scope given to your account/);
  assert.match(said, /there is no household nowhere within your scope/);
  await page.getByRole('button', { name: 'Sign out' }).waitFor();

  // Every page's own words are English, and the Vietnamese they replace is gone; the server's
  // labels and table headings come in English too, and only names stay as they were typed.
  const readsEnglish = async (ready, english, vietnamese) => {
    await page.locator(ready).first().waitFor();
    for (const text of english) await page.getByText(text).first().waitFor();
    const shown = await page.locator('body').innerText();
    for (const text of vietnamese) assert.ok(!shown.includes(text), `${await page.evaluate(() => location.hash)} still says «${text}»`);
  };
  await page.goto('/staff/#/table/households?unit=hsp');
  await readsEnglish(
    '.table-view[data-table=households] tbody tr[data-household]',
    ['← Overview of', 'Export to Excel', 'Households, 20', 'Last visit', 'Visited in the month'],
    ['← Tổng quan', 'Xuất Excel', 'Các hộ, tháng', 'Nhân khẩu', 'Lần thăm gần nhất', 'Đã thăm trong tháng'],
  );
  await page.getByRole('navigation', { name: 'Tables' }).getByRole('link', { name: 'Households not assigned, not visited' }).waitFor();
  await page.locator('.table-view tbody tr[data-household] a').first().click();
  await readsEnglish(
    'section.household',
    ['Head of household', 'Member responsible', 'Visit notes (', 'History of changes'],
    ['Ghi chép thăm hộ (', 'Lịch sử thay đổi', 'Đảng viên phụ trách', 'Người thực hiện'],
  );
  await shot(page, 'staff-english-household');
  await page.goto('/staff/#/search?q=nguyen');
  await readsEnglish('section.search [data-section=members]', ['Search: “nguyen”', 'Households (', 'Members ('], ['Tìm kiếm', 'Đảng viên (', 'Không tìm thấy']);
  assert.equal(await page.getByRole('button', { name: 'Search', exact: true }).count(), 1);

  // The administration pages, signed in again as an administrator: English is kept across it.
  await page.getByRole('button', { name: 'Sign out' }).click();
  await page.getByLabel('Login').fill('quantri');
  await page.getByLabel('Password').fill('quantri-password');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByTestId('who').waitFor();
  await page.goto('/staff/#/devices');
  await readsEnglish(
    'section.devices table.device-list',
    ['Requests to recover a PIN', 'Filter by name, code or unit', 'Last sync', 'App version'],
    ['Thiết bị', 'Yêu cầu khôi phục mã PIN', 'Lần đồng bộ cuối', 'Phiên bản ứng dụng'],
  );
  await page.getByRole('heading', { name: 'Devices' }).waitFor();
  await page.goto('/staff/#/accounts');
  await readsEnglish(
    'section.accounts table.users tr[data-login=staff]',
    ['Add an account', 'Issue a password reset code', 'Initial password', 'Created'],
    ['Thêm tài khoản', 'Cấp mã đặt lại mật khẩu', 'Mật khẩu ban đầu', 'Đang hoạt động'],
  );
  await page.getByRole('heading', { name: 'Accounts' }).waitFor();
  await shot(page, 'staff-english-accounts');
  await page.goto('/staff/#/household/nowhere');
  await refusal.waitFor();

  // And back to Vietnamese: the server answers in Vietnamese again.
  await page.getByRole('button', { name: 'Tiếng Việt' }).click();
  await page.getByRole('button', { name: 'Đăng xuất' }).waitFor();
  await refusal.waitFor();
  assert.match(await refusal.innerText(), /Không có hộ nowhere trong phạm vi của bạn/);
  assert.deepEqual(errors, []);
  await context.close();
});

test('the field app shows a refusal from the server in the language chosen', async () => {
  const { context, page } = await phone(browser, server);
  await page.goto('/');
  const enrolWith = async (codeLabel, button) => {
    await page.getByLabel(codeLabel).fill('AAAAA-00000');
    await page.locator('input[name=pin]').fill('246810');
    await page.locator('input[name=pin-again]').fill('246810');
    await page.getByRole('button', { name: button, exact: true }).click();
  };
  await enrolWith('Mã kích hoạt', 'Kích hoạt');
  await page.getByText('Mã kích hoạt không đúng').waitFor();

  await page.getByRole('button', { name: 'English' }).click();
  await enrolWith('Enrolment code', 'Enrol');
  await page.getByText('this enrolment code is not known').waitFor();
  await shot(page, 'enrol-refused-english');
  assert.deepEqual(policyViolations, []);
  await context.close();
});
