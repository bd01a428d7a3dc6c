// What a phone downloads the first time, as Chromium received it: every script, style sheet and
// the wasm core arrive compressed, byte for byte the copies `cargo xtask app` wrote beside them
// (brotli at quality 11, or gzip where the browser takes no brotli), which are what
// BENCHMARKS.md sizes.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { Server, launch, phone, APP_DIR } from './harness.mjs';

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

test('the app arrives as the build compressed it', async () => {
  const { context, page } = await phone(browser, server);
  const encodings = new Map();
  page.on('response', (response) => {
    const path = new URL(response.url()).pathname;
    encodings.set(path, response.headers()['content-encoding'] ?? '');
  });
  await page.goto('/');
  await page.getByLabel('Mã kích hoạt').waitFor();
  // The wasm is fetched by the app's start; wait until it has arrived.
  await page.waitForFunction(() =>
    performance.getEntriesByType('resource').some((e) => new URL(e.name).pathname.endsWith('.wasm')),
  );
  const resources = await page.evaluate(() =>
    performance
      .getEntriesByType('resource')
      .map((e) => ({ path: new URL(e.name).pathname, encoded: e.encodedBodySize }))
      .filter((e) => /\.(js|css|wasm)$/.test(e.path)),
  );
  assert.ok(resources.some((r) => r.path.endsWith('.wasm')), 'the wasm core was downloaded');
  for (const { path, encoded } of resources) {
    const encoding = encodings.get(path);
    assert.ok(encoding === 'br' || encoding === 'gzip', `${path} arrived compressed, not "${encoding}"`);
    const copy = join(APP_DIR, `${path}.${encoding === 'br' ? 'br' : 'gz'}`);
    assert.equal(encoded, statSync(copy).size, `${path} is the build's ${encoding} copy`);
  }
  await context.close();
});
