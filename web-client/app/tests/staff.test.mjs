// The staff dashboard in headless Chromium at 1366×768 against the real server: district staff
// go through the overview, every table, a drill-down to one household's history, a search
// typed without diacritics, both exports and both printouts; a commune committee sees its own
// commune and is refused the others. What the pages show is checked against the API's answers.
// Screenshots and PDFs go to HOSYNC_STAFF_OUT (screenshots/, pdf/) for a person to look at.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { request } from 'playwright-core';
import { Server, launch, policyViolations, watchPolicy } from './harness.mjs';

const OUT = process.env.HOSYNC_STAFF_OUT ?? '';
const DISTRICT = 'hsp';
const COMMUNE = 'hsp-x01';
const OTHER_COMMUNE = 'hsp-x02';
/** Every table that takes a unit; `history` takes a household and is opened from one. */
const TABLES = ['coverage', 'gaps', 'idle_members', 'flags', 'reports', 'missing_reports', 'ratings', 'away', 'households'];

let server;
let browser;

before(async () => {
  // Big enough for two communes, so that one can be refused the other.
  server = await Server.start({ scale: 0.06 });
  server.addUser('staff', 'district_staff', DISTRICT);
  server.addUser('xa', 'commune_committee', COMMUNE);
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

/** A desktop browser profile of its own; page errors fail the test that caused them. */
async function desk() {
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
  return { context, page, errors };
}

async function signIn(page, login) {
  await page.goto('/staff/');
  await page.getByLabel('Tên đăng nhập').fill(login);
  await page.getByLabel('Mật khẩu').fill(`${login}-password`);
  await page.getByRole('button', { name: 'Đăng nhập' }).click();
  await page.getByTestId('who').waitFor();
}

async function shot(page, name) {
  if (OUT) await page.screenshot({ path: join(OUT, 'screenshots', `${name}.png`) });
}

/** The API's own answer, with the page's session cookie. */
async function apiJson(page, path) {
  const response = await page.request.get(`/api/v1${path}`);
  assert.equal(response.status(), 200, `${path}: ${await response.text()}`);
  return response.json();
}

async function open(page, hash, ready) {
  await page.goto(`/staff/${hash}`);
  await page.locator(ready).waitFor();
}

const strip = (s) => s.normalize('NFD').replace(/[\u0300-\u036f]/g, '').replace(/đ/g, 'd').replace(/Đ/g, 'D');
const vi = (n) => new Intl.NumberFormat('vi-VN').format(n);

async function pdf(page, name) {
  const bytes = await page.pdf({ format: 'A4', printBackground: true });
  assert.equal(bytes.subarray(0, 4).toString('latin1'), '%PDF');
  assert.ok(bytes.length > 20_000, `${name}.pdf is only ${bytes.length} bytes`);
  if (OUT) writeFileSync(join(OUT, 'pdf', `${name}.pdf`), bytes);
  return bytes;
}

test('district staff: overview, every table, a drill-down to a household, search, exports and printouts', async () => {
  const { page, context, errors } = await desk();
  await signIn(page, 'staff');
  const who = await page.getByTestId('who').innerText();
  assert.match(who, /\(staff\)/);
  assert.match(who, /Cán bộ Huyện ủy/);

  // The overview of the whole district, as the API counts it.
  const o = await apiJson(page, '/overview');
  assert.equal(o.unit.id, DISTRICT);
  await page.locator(`section.overview[data-unit="${DISTRICT}"]`).waitFor();
  assert.equal(await page.locator('h1').innerText(), o.unit.name);
  assert.equal(await page.locator('table.children tbody tr').count(), o.children.length);
  assert.equal(await page.locator('[data-count=idle_members] .value').innerText(), vi(o.idle_members));
  assert.equal(await page.locator('[data-count=missing_reports] .value').innerText(), vi(o.reports.missing));
  assert.match(await page.locator('[data-count=coverage] .value').innerText(), /^\d{1,3},\d{2}%$/);
  assert.match(await page.locator('.overview > .title-row p').innerText(), /tháng \d{2}\/\d{4}/);
  // The gap's length is the API's (core's), not the page's own.
  assert.equal(typeof o.gaps.months, 'number');
  const gapCount = page.locator('[data-count=gaps]', { hasText: `chưa được thăm từ ${o.gaps.months} tháng trở lên` });
  assert.equal(await gapCount.locator('.value').innerText(), vi(o.gaps.not_visited));
  // The charts are SVG with titles a screen reader reads.
  assert.equal(await page.locator('svg.chart.trend g[data-month]').count(), 12);
  assert.ok((await page.locator('svg.chart.trend > title').textContent()).length > 10);
  assert.equal(await page.locator('svg.chart.heatmap g[data-self]').count(), (o.ratings.levels.length + 1) ** 2);
  await shot(page, '01-overview-district');

  // The month before, picked from the month list, as the API counts it.
  const [y, m] = o.month.split('-').map(Number);
  const previous = m === 1 ? `${y - 1}-12` : `${y}-${String(m - 1).padStart(2, '0')}`;
  const earlier = await apiJson(page, `/overview?month=${previous}`);
  await page.getByRole('combobox', { name: 'Tháng' }).selectOption(previous);
  await page.locator(`section.overview[data-month="${previous}"]`).waitFor();
  assert.match(await page.locator('.overview > .title-row p').innerText(), new RegExp(`tháng ${previous.slice(5)}/${previous.slice(0, 4)}`));
  assert.equal(await page.locator('[data-count=missing_reports] .value').innerText(), vi(earlier.reports.missing));
  await page.getByRole('button', { name: 'Tháng sau' }).click();
  await page.locator(`section.overview[data-month="${o.month}"]`).waitFor();

  // A count opens its table.
  await page.locator('[data-count=gaps]').first().click();
  await page.locator('.table-view[data-table=gaps]').waitFor();

  // Every table, as many rows as the API sends (up to the first page of 300).
  for (const [i, name] of TABLES.entries()) {
    const t = await apiJson(page, `/tables/${name}?unit=${DISTRICT}`);
    await open(page, `#/table/${name}?unit=${DISTRICT}`, `.table-view[data-table=${name}]`);
    assert.equal(await page.locator('.table-view h1').innerText(), t.title);
    const headers = await page.locator('.data-table thead th').allInnerTexts();
    assert.deepEqual(
      headers.map((h) => h.replace(/ [▲▼]$/, '')),
      t.columns.map((c) => c.label),
    );
    assert.equal(await page.locator('.data-table tbody tr').count(), Math.min(t.rows.length, 300), name);
    await shot(page, `02-table-${String(i + 1).padStart(2, '0')}-${name}`);
  }

  // Drill-down: the district's first commune, its first cell with households, one household.
  const commune = o.children.find((c) => c.kind === 'commune');
  assert.ok(commune, 'the demo district has a commune');
  await open(page, '#/overview', 'table.children');
  await page.locator(`table.children a[data-unit="${commune.id}"]`).click();
  await page.locator(`section.overview[data-unit="${commune.id}"]`).waitFor();
  assert.equal(await page.locator(`.breadcrumb a[data-unit="${DISTRICT}"]`).count(), 1);
  await shot(page, '03-overview-commune');
  const co = await apiJson(page, `/overview?unit=${commune.id}`);
  const cell = co.children.find((c) => c.households > 0);
  assert.ok(cell, 'the commune has a cell with households');
  await page.locator(`table.children a[data-unit="${cell.id}"]`).click();
  await page.locator(`section.overview[data-unit="${cell.id}"]`).waitFor();
  assert.equal(await page.locator(`.breadcrumb a[data-unit="${commune.id}"]`).count(), 1);
  const households = await apiJson(page, `/tables/households?unit=${cell.id}`);
  const reports = await apiJson(page, `/tables/reports?unit=${cell.id}`);
  const cellHouseholds = page.locator('[data-section=households] .data-table tbody tr');
  await cellHouseholds.first().waitFor();
  assert.equal(await cellHouseholds.count(), households.rows.length);
  assert.equal(await page.locator('[data-section=reports] .data-table tbody tr').count(), reports.rows.length);
  await shot(page, '04-overview-cell');

  // The household with the longest history, so that the page has something to show.
  let household = null;
  for (const row of households.rows) {
    const h = await apiJson(page, `/households/${encodeURIComponent(row.household_id)}`);
    if (!household || h.history.length > household.history.length) household = h;
  }
  assert.ok(household.history.length > 0, 'a demo household has a history');
  await page.locator(`[data-section=households] tr[data-household="${household.id}"] a`).first().click();
  await page.locator(`section.household[data-household="${household.id}"]`).waitFor();
  assert.equal(await page.locator('table.history tbody tr').count(), household.history.length);
  const first = household.history[0];
  const firstRow = await page.locator('table.history tbody tr').first().innerText();
  assert.ok(firstRow.includes(first.what) && firstRow.includes(first.time), firstRow);
  assert.match(firstRow, /\d{2}\/\d{2}\/\d{4}/);
  assert.equal(await page.locator(`.breadcrumb a[data-unit="${cell.id}"]`).count(), 1);
  // Flags still open come first, open as the API says.
  const shownOpen = await page.locator('ul.flags li[data-flag]').evaluateAll((items) => items.map((li) => li.dataset.open));
  const apiOpen = household.flags.map((f) => String(f.open));
  assert.deepEqual(shownOpen, [...apiOpen.filter((x) => x === 'true'), ...apiOpen.filter((x) => x === 'false')]);
  await shot(page, '05-household');
  // The same history as a table view, the tenth table.
  await page.locator('[data-section=history]').getByRole('link', { name: 'Bảng đầy đủ' }).click();
  await page.locator('.table-view[data-table=history]').waitFor();
  assert.equal(await page.locator('.data-table tbody tr').count(), household.history.length);
  await shot(page, '02-table-10-history');

  // Search: a household head's name typed without diacritics finds the household.
  const named = households.rows.find((r) => strip(String(r.head ?? r.household)) !== String(r.head ?? r.household)) ?? households.rows[0];
  const name = String(named.head ?? named.household);
  const typed = strip(name).toLowerCase();
  await page.getByRole('searchbox', { name: 'Tìm hộ hoặc đảng viên theo tên' }).fill(typed);
  await page.getByRole('searchbox', { name: 'Tìm hộ hoặc đảng viên theo tên' }).press('Enter');
  const found = page.locator(`[data-section=households] li[data-household="${named.household_id}"]`);
  await found.waitFor();
  assert.equal(await found.locator('a').first().innerText(), name);
  await shot(page, '06-search');
  await found.locator('a').first().click();
  await page.locator(`section.household[data-household="${named.household_id}"]`).waitFor();

  // Exports: a CSV with the Vietnamese header, an Excel workbook (a zip).
  const gaps = await apiJson(page, `/tables/gaps?unit=${DISTRICT}`);
  await open(page, `#/table/gaps?unit=${DISTRICT}`, '.table-view[data-table=gaps]');
  const csvDownload = page.waitForEvent('download');
  await page.getByRole('link', { name: 'Xuất CSV' }).click();
  const csv = readFileSync(await (await csvDownload).path(), 'utf8').replace(/^\uFEFF/, '');
  const header = csv.split(/\r?\n/)[0];
  for (const c of gaps.columns) assert.ok(header.includes(c.label), `CSV header ${header} lacks ${c.label}`);
  assert.ok(csv.split(/\r?\n/).filter(Boolean).length >= gaps.rows.length + 1);
  const xlsxDownload = page.waitForEvent('download');
  await page.getByRole('link', { name: 'Xuất Excel' }).click();
  const xlsx = await xlsxDownload;
  assert.match(xlsx.suggestedFilename(), /\.xlsx$/);
  const workbook = readFileSync(await xlsx.path());
  assert.equal(workbook.subarray(0, 2).toString('latin1'), 'PK');

  // The district summary and the cell's monthly report, printed to A4.
  await open(page, '#/print/district', 'article.printout[data-print=district] svg.chart.trend');
  assert.equal(await page.locator('article.printout table.children tbody tr').count(), o.children.length);
  assert.ok((await page.locator('article.printout').innerText()).includes(`Hộ chưa được thăm từ ${o.gaps.months} tháng trở lên`));
  await shot(page, '07-print-district');
  await page.emulateMedia({ media: 'print' });
  assert.equal(await page.locator('article.printout .toolbar button').isVisible(), false);
  assert.equal(await page.locator('header.top').isVisible(), false);
  await pdf(page, 'district-summary');
  await page.emulateMedia({ media: 'screen' });

  await open(page, `#/print/cell?unit=${cell.id}&month=${o.month}`, 'article.printout[data-print=cell]');
  await page.getByRole('button', { name: 'In', exact: true }).waitFor();
  const printedReports = page.locator('article.printout .data-table').first().locator('tbody tr');
  assert.equal(await printedReports.count(), reports.rows.length);
  // The households not visited this month, as the server marks each row.
  assert.ok(households.rows.every((r) => typeof r.visited_this_month === 'boolean'));
  const unvisited = households.rows.filter((r) => r.visited_this_month === false);
  const printedUnvisited = page.locator('article.printout .data-table[data-table=households] tbody tr');
  assert.equal(await printedUnvisited.count(), unvisited.length);
  assert.match(await page.locator('article.printout').innerText(), new RegExp(`chưa được thăm từ ${o.gaps.months} tháng trở lên`));
  await shot(page, '08-print-cell');
  await page.emulateMedia({ media: 'print' });
  await pdf(page, 'cell-report');
  await page.emulateMedia({ media: 'screen' });

  assert.deepEqual(errors, []);
  await context.close();
});

test('a commune committee sees its own commune and is refused another', async () => {
  // A household of the other commune, found as district staff would.
  const staff = await request.newContext({ baseURL: server.base });
  assert.equal((await staff.post('/api/v1/session', { data: { login: 'staff', password: 'staff-password' } })).status(), 200);
  const other = await (await staff.get(`/api/v1/tables/households?unit=${OTHER_COMMUNE}`)).json();
  assert.ok(other.rows.length > 0, 'the other commune has households');
  const foreign = other.rows[0];
  await staff.dispose();

  const { page, context, errors } = await desk();
  await signIn(page, 'xa');
  assert.match(await page.getByTestId('who').innerText(), /Đảng ủy xã/);
  const o = await apiJson(page, '/overview');
  assert.equal(o.unit.id, COMMUNE);
  await page.locator(`section.overview[data-unit="${COMMUNE}"]`).waitFor();
  // Its breadcrumb starts at the commune: nothing above its scope is offered.
  assert.equal(await page.locator(`.breadcrumb a[data-unit="${DISTRICT}"]`).count(), 0);
  for (const child of o.children) {
    assert.equal(await page.locator(`table.children a[data-unit="${child.id}"]`).count(), 1);
  }
  await shot(page, '09-overview-commune-committee');

  // Another commune's overview, by address: answered as if it were not there, no figures.
  const refusal = await page.request.get(`/api/v1/overview?unit=${OTHER_COMMUNE}`);
  assert.equal(refusal.status(), 404);
  const said = (await refusal.json()).message;
  assert.ok(!said.includes('/'), `the answer names no place in the tree: ${said}`);
  await open(page, `#/overview?unit=${OTHER_COMMUNE}`, '.refusal[data-status="404"]');
  assert.equal(await page.locator('section.overview').count(), 0);
  assert.match(await page.locator('.refusal').innerText(), /trong phạm vi được giao/);
  if (said) assert.ok((await page.locator('.refusal').innerText()).includes(said));
  await shot(page, '10-refused-overview');

  // A household of the other commune: refused too, and its head's name is nowhere on the page.
  await open(page, `#/household/${encodeURIComponent(foreign.household_id)}`, '.refusal[data-status="404"]');
  assert.equal(await page.locator('section.household').count(), 0);
  const head = String(foreign.head ?? foreign.household);
  assert.equal((await page.locator('main').innerText()).includes(head), false);
  await shot(page, '11-refused-household');

  // Nor can its tables be exported, or its households found.
  assert.equal((await page.request.get(`/api/v1/tables/households?unit=${OTHER_COMMUNE}&format=csv`)).status(), 404);
  const search = await apiJson(page, `/search?q=${encodeURIComponent(strip(head))}`);
  assert.equal(search.households.some((h) => h.id === foreign.household_id), false);

  // Signing out returns to the sign-in form, also after a reload.
  await page.getByRole('button', { name: 'Đăng xuất' }).click();
  await page.getByLabel('Tên đăng nhập').waitFor();
  await page.reload();
  await page.getByLabel('Tên đăng nhập').waitFor();

  assert.deepEqual(errors, []);
  await context.close();
});

test('the organisation page adds a household, moves it and transfers a member; another commune is refused', async () => {
  const { page, context, errors } = await desk();
  await signIn(page, 'staff');
  const cells = (await apiJson(page, '/summary')).map((c) => c.cell);
  const [from, to] = [cells.find((c) => c.startsWith(`${COMMUNE}-`)), cells.find((c) => c.startsWith(`${OTHER_COMMUNE}-`))];
  assert.ok(from && to, `a cell in each commune: ${cells}`);
  await open(page, '#/org', 'section.org');
  await shot(page, '12-organisation');

  const add = page.locator('form[data-form=household]');
  await add.locator('input[name=cell]').fill(from);
  await add.locator('input[name=head]').fill('Vàng Seo Chử');
  await add.locator('input[name=village]').fill('Thôn Lùng Chín');
  await add.locator('input[name=people]').fill('5');
  await add.getByRole('button', { name: 'Thêm hộ' }).click();
  const added = await add.locator('.saved').innerText();
  const id = /Đã thêm hộ (\S+)\./.exec(added)?.[1];
  assert.ok(id, added);
  const households = await apiJson(page, `/cells/${from}/households`);
  assert.ok(households.some((h) => h.id === id && h.head === 'Vàng Seo Chử'), 'the household is in its cell');

  const move = page.locator('form[data-form=move]');
  await move.locator('input[name=household]').fill(id);
  await move.locator('input[name=cell]').fill(to);
  await move.getByRole('button', { name: 'Chuyển hộ' }).click();
  await move.locator('.saved').waitFor();
  assert.ok((await apiJson(page, `/cells/${to}/households`)).some((h) => h.id === id), 'moved to the other cell');

  const member = (await apiJson(page, `/cells/${from}/members`)).find((m) => m.role === 'member');
  const transfer = page.locator('form[data-form=transfer]');
  await transfer.locator('input[name=member]').fill(member.id);
  await transfer.locator('input[name=cell]').fill(to);
  await transfer.getByRole('button', { name: 'Chuyển sinh hoạt' }).click();
  await transfer.locator('.saved').waitFor();
  assert.ok((await apiJson(page, `/cells/${to}/members`)).some((m) => m.id === member.id), 'transferred');
  await shot(page, '13-organisation-done');
  await context.close();

  // A commune committee moving a household of its own into another commune is refused, saying
  // nothing of that commune.
  const xa = await desk();
  await signIn(xa.page, 'xa');
  await open(xa.page, '#/org', 'section.org');
  const refused = xa.page.locator('form[data-form=move]');
  await refused.locator('input[name=household]').fill(households[0].id);
  await refused.locator('input[name=cell]').fill(to);
  await refused.getByRole('button', { name: 'Chuyển hộ' }).click();
  await refused.locator('.refusal[data-status="404"]').waitFor();
  await shot(xa.page, '14-organisation-refused');
  assert.deepEqual([...errors, ...xa.errors], []);
  await xa.context.close();
});

test('the content security policy refused nothing the dashboard does', () => {
  assert.deepEqual(policyViolations, []);
});
