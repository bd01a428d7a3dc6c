// The page that reads the API's OpenAPI document, in headless Chromium against the real server:
// `/api/v1/docs` leads to it, it shows every operation the served document has, under the
// server's content security policy; and the field app's service worker does not list it, so
// phones never download it. A screenshot goes to HOSYNC_STAFF_OUT/screenshots.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { APP_DIR, Server, launch, policyViolations, watchPolicy } from './harness.mjs';

const OUT = process.env.HOSYNC_STAFF_OUT ?? '';

let server;
let browser;

before(async () => {
  server = await Server.startEmpty();
  browser = await launch();
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

test('the reader page shows every documented operation', async () => {
  const document = await (await fetch(`${server.base}/api/v1/openapi.json`)).json();
  const methods = ['get', 'put', 'post', 'delete', 'patch'];
  const operations = Object.values(document.paths).flatMap((item) => methods.filter((m) => item[m]));
  assert.ok(operations.length > 40, `only ${operations.length} operations`);

  const page = await browser.newPage({ viewport: { width: 1366, height: 768 } });
  watchPolicy(page);
  await page.goto(`${server.base}/api/v1/docs`);
  assert.equal(new URL(page.url()).pathname, '/api-docs/');
  await page.waitForSelector('.opblock');
  assert.equal(await page.locator('.opblock').count(), operations.length);
  assert.ok(await page.getByText('/api/v1/sync', { exact: true }).isVisible());
  if (OUT) {
    mkdirSync(join(OUT, 'screenshots'), { recursive: true });
    await page.screenshot({ path: join(OUT, 'screenshots', 'api-docs.png') });
  }
  await page.close();
  assert.deepEqual(policyViolations, []);
});

test('the field app does not precache the reader page', () => {
  // The precache manifest is the list of `{url:"…"}` in the generated worker.
  const worker = readFileSync(join(APP_DIR, 'sw.js'), 'utf8');
  const urls = [...worker.matchAll(/\{url:\s*"([^"]+)"/g)].map((m) => m[1]);
  assert.ok(urls.includes('index.html'), `the app shell in ${urls}`);
  assert.deepEqual(urls.filter((u) => u.startsWith('api-docs/') || u.startsWith('staff/')), []);
});
