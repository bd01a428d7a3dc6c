// Importing a district's organisation from the staff dashboard, in headless Chromium at
// 1366×768 against the real server on a district started with `hosync init`: the template
// downloaded, the shipped example with errors uploaded and its errors shown by sheet, row and
// column, the fixed example uploaded, previewed and confirmed, and the new units on the
// Organisation page. Screenshots go to HOSYNC_STAFF_OUT/screenshots.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Server, launch, policyViolations, watchPolicy } from './harness.mjs';

const OUT = process.env.HOSYNC_STAFF_OUT ?? '';
const EXAMPLES = fileURLToPath(new URL('../../../examples/', import.meta.url));

let server;
let browser;

before(async () => {
  server = await Server.startEmpty();
  browser = await launch();
  if (OUT) mkdirSync(join(OUT, 'screenshots'), { recursive: true });
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

async function shot(page, name) {
  if (OUT) await page.screenshot({ path: join(OUT, 'screenshots', `${name}.png`), fullPage: true });
}

test('staff import the organisation: errors first, then the fixed file confirmed', async () => {
  const context = await browser.newContext({
    baseURL: server.base,
    viewport: { width: 1366, height: 768 },
    locale: 'vi-VN',
    timezoneId: 'Asia/Ho_Chi_Minh',
    acceptDownloads: true,
  });
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  watchPolicy(page);

  await page.goto('/staff/');
  await page.getByLabel('Tên đăng nhập').fill('quantri');
  await page.getByLabel('Mật khẩu').fill('quantri-password');
  await page.getByRole('button', { name: 'Đăng nhập' }).click();
  await page.getByTestId('who').waitFor();
  await page.getByRole('link', { name: 'Tổ chức' }).click();
  await page.getByTestId('org-import-link').click();
  await page.getByRole('heading', { name: 'Nhập tổ chức từ bảng tính' }).waitFor();

  // The template downloads as a workbook.
  const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('import-template').click()]);
  assert.equal(download.suggestedFilename(), 'mau-nhap-to-chuc.xlsx');
  const saved = await download.path();
  assert.equal(readFileSync(saved).subarray(0, 2).toString(), 'PK', 'an XLSX (a zip)');

  // The example with mistakes: every error in the table, by sheet, row and column.
  await page.locator('input[type=file]').setInputFiles(join(EXAMPLES, 'district-errors.xlsx'));
  const table = page.getByTestId('import-errors');
  await table.waitFor();
  const rows = await table.locator('tbody tr').allInnerTexts();
  assert.equal(rows.length, 10, rows.join('\n'));
  const parent = rows.find((r) => r.includes('hsp-x03'));
  assert.ok(parent, rows.join('\n'));
  assert.match(parent, /Đơn vị\s+8\s+B \(Mã đơn vị cấp trên\)\s+Không có đơn vị cấp trên “hsp-x03”/);
  assert.ok(rows.some((r) => /Phân công\s+9\s+A \(Mã đảng viên\)/.test(r) && r.includes('chỉ phân công')), rows.join('\n'));
  assert.equal(await page.getByTestId('import-apply').count(), 0, 'no confirming a file with errors');
  await shot(page, 'import-errors');

  // The fixed file: a preview of what is created, then confirmed.
  await page.locator('input[type=file]').setInputFiles(join(EXAMPLES, 'district.xlsx'));
  await page.locator('[data-testid=import-preview][data-errors="0"]').waitFor();
  const created = await page.locator('[data-testid=import-rows] tr[data-action=create]').count();
  assert.equal(created, 6 + 8 + 7 + 7, 'units, members, households and assignments');
  const units = await page.locator('[data-testid=import-counts] tr[data-sheet="Đơn vị"]').innerText();
  assert.match(units, /Đơn vị\s+6\s+0\s+0/);
  await shot(page, 'import-preview');
  await page.getByTestId('import-apply').click();
  await page.locator('[data-testid=import-preview][data-applied=true]').waitFor();
  await page.getByRole('status').filter({ hasText: 'Đã nhập xong' }).waitFor();
  await shot(page, 'import-applied');

  // The Organisation page shows the new tree.
  await page.getByRole('link', { name: 'Xem cây đơn vị ở trang Tổ chức' }).click();
  const tree = page.getByTestId('org-units');
  await tree.locator('tr[data-unit="hsp-x01-c01"]').waitFor();
  const ids = await tree.locator('tbody tr').evaluateAll((trs) => trs.map((tr) => tr.dataset.unit));
  assert.deepEqual(ids, ['hsp', 'hsp-b01', 'hsp-x01', 'hsp-x01-c01', 'hsp-x01-c02', 'hsp-x02', 'hsp-x02-c01']);
  assert.match(await tree.locator('tr[data-unit="hsp-x01-c01"]').innerText(), /Chi bộ thôn Nậm Mì/);
  await shot(page, 'org-units');

  assert.deepEqual(errors, []);
  assert.deepEqual(policyViolations, []);
  await context.close();
});
