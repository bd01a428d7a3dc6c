// The real parts for the browser tests: a seeded SQLite demo district served by the `hosync`
// binary on a free port, the `hosync` command line for codes and revocations, and Debian's
// Chromium driven by playwright-core.

import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';

const required = (name) => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set: run the browser tests with \`cargo xtask ci\` or \`cargo xtask app-test\``);
  return value;
};

export const BIN = required('HOSYNC_BIN');
export const APP_DIR = required('HOSYNC_APP_DIR');
export const SHOTS = process.env.HOSYNC_SCREENSHOTS ?? '';
const CHROMIUM = process.env.HOSYNC_CHROMIUM ?? '/usr/bin/chromium';

/** Without these flags Debian's Chromium refuses connections inside containers. */
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export class Server {
  /** Seeds a demo district (small by default) into a fresh SQLite file and serves it with the built app. */
  static async start({ scale = 0.01 } = {}) {
    const dir = mkdtempSync(join(tmpdir(), 'hosync-browser-'));
    const url = `sqlite://${join(dir, 'demo.db')}?mode=rwc`;
    const seeded = execFileSync(BIN, ['demo', '--no-serve', '--scale', String(scale), '--database-url', url], {
      encoding: 'utf8',
      env: { ...process.env, HOSYNC_DEMO_PASSWORD: 'browser-tests' },
    });
    const member = /member .+ \((\S+)\), cell (\S+)/.exec(seeded);
    const secretary = /their secretary .+ \((\S+)\)/.exec(seeded);
    if (!member || !secretary) throw new Error(`unexpected demo output:\n${seeded}`);
    return Server.serve(dir, url, { member: member[1], cell: member[2], secretary: secretary[1] });
  }

  /**
   * A real district started from nothing with `hosync init` (top unit `hsp`, administrator
   * `quantri` with the password `quantri-password`), served with the built app.
   */
  static async startEmpty() {
    const dir = mkdtempSync(join(tmpdir(), 'hosync-browser-'));
    const url = `sqlite://${join(dir, 'district.db')}?mode=rwc`;
    const args = ['init', '--database-url', url, '--code', 'hsp', '--name', 'Huyện Hoàng Su Phì', '--admin', 'quantri', '--admin-name', 'Quản trị huyện'];
    execFileSync(BIN, args, { encoding: 'utf8', env: { ...process.env, HOSYNC_PASSWORD: 'quantri-password' } });
    return Server.serve(dir, url, {});
  }

  /** Serves the database at `url` with the built app, on a free port. */
  static async serve(dir, url, ids) {
    const child = spawn(BIN, ['serve', '--bind', '127.0.0.1:0', '--database-url', url, '--app-dir', APP_DIR], {
      stdio: ['ignore', 'pipe', 'inherit'],
      env: { ...process.env, RUST_LOG: process.env.RUST_LOG ?? 'warn' },
    });
    const base = await new Promise((resolve, reject) => {
      let out = '';
      child.stdout.on('data', (chunk) => {
        out += chunk;
        const found = /Listening on (http:\/\/\S+)/.exec(out);
        if (found) resolve(found[1]);
      });
      child.on('exit', (code) => reject(new Error(`hosync serve exited with ${code}:\n${out}`)));
    });
    return new Server(dir, url, base, child, ids);
  }

  constructor(dir, url, base, child, ids) {
    Object.assign(this, { dir, url, base, child, ids });
  }

  /** A one-time enrolment code for a member, from `hosync enrol`. */
  code(holder) {
    const out = execFileSync(BIN, ['enrol', holder, '--database-url', this.url], { encoding: 'utf8' });
    const found = /Enrolment code for .*: (\S+)/.exec(out);
    if (!found) throw new Error(`no code in:\n${out}`);
    return found[1];
  }

  /** A staff account with a role over a unit, which can enrol a phone of its own. */
  addUser(login, role, scope) {
    execFileSync(BIN, ['user', '--database-url', this.url, 'add', login, '--name', login, '--role', role, '--scope', scope], {
      encoding: 'utf8',
      env: { ...process.env, HOSYNC_PASSWORD: `${login}-password` },
    });
  }

  revoke(device) {
    return execFileSync(BIN, ['device', '--database-url', this.url, 'revoke', device], { encoding: 'utf8' });
  }

  async stop() {
    this.child.kill('SIGTERM');
    await new Promise((resolve) => this.child.once('exit', resolve));
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** What pages logged of the content security policy refusing something; each test file ends by
 * asserting there is none, so the policy the server sends is known to fit the apps. */
export const policyViolations = [];

/** Collects what `page` logs of the content security policy into `policyViolations`. */
export function watchPolicy(page) {
  page.on('console', (message) => {
    if (/Content.Security.Policy/i.test(message.text())) policyViolations.push(`${page.url()}: ${message.text()}`);
  });
}

/** Chromium, with `args` beside the ones it always needs here. */
export async function launch({ args = [] } = {}) {
  if (SHOTS) mkdirSync(SHOTS, { recursive: true });
  return chromium.launch({ executablePath: CHROMIUM, args: [...CHROMIUM_ARGS, ...args] });
}

/** A phone: its own browser profile (storage, service worker) at 360×640. */
export async function phone(browser, server) {
  const context = await browser.newContext({
    baseURL: server.base,
    viewport: { width: 360, height: 640 },
    deviceScaleFactor: 2,
    isMobile: true,
    hasTouch: true,
    locale: 'vi-VN',
    timezoneId: 'Asia/Ho_Chi_Minh',
    acceptDownloads: true,
  });
  const page = await context.newPage();
  page.on('pageerror', (e) => console.error(`page error: ${e.message}`));
  watchPolicy(page);
  return { context, page };
}

/** A screenshot for a person to look at, when HOSYNC_SCREENSHOTS names a folder for them. */
export async function shot(page, name) {
  if (!SHOTS) return;
  await page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: false });
}

/** Waits for a sync that finished after `since` (ms, from `data-last-sync`) and left nothing pending. */
export async function syncedAfter(page, since) {
  await page.waitForFunction(
    (since) => {
      const el = document.querySelector('[data-testid=sync-status]');
      return el && Number(el.dataset.lastSync) > since && el.classList.contains('synced');
    },
    since,
    { timeout: 120_000 },
  );
}

/** The PIN every test phone chooses at enrolment. */
export const PIN = '246810';

/** Types the PIN on the screen that asks for it, once the app shows it. */
export async function unlock(page, pin = PIN) {
  await page.locator('.unlock input[name=pin]').fill(pin);
  await page.getByRole('button', { name: 'Mở', exact: true }).click();
}

/** Reloads the app (as a person closing and opening it) and types the PIN. */
export async function reopen(page, pin = PIN) {
  await page.reload();
  await unlock(page, pin);
}

/** Enrols a phone with a code and the PIN, and waits for its first sync and its service worker. */
export async function enrol({ page }, code, pin = PIN) {
  await page.goto('/');
  await page.getByLabel('Mã kích hoạt').fill(code);
  // An app built before PINs (the bench's "before") has no PIN to choose.
  if (await page.locator('input[name=pin]').count()) {
    await page.locator('input[name=pin]').fill(pin);
    await page.locator('input[name=pin-again]').fill(pin);
  }
  await page.getByRole('button', { name: 'Kích hoạt' }).click();
  await page.locator('header .who').waitFor();
  await syncedAfter(page, 0);
  // The service worker holds the app shell and the wasm once it is active.
  await page.evaluate(async () => Boolean((await navigator.serviceWorker.ready).active));
}

/** The first record (store and key) whose bytes hold `text` in UTF-8, or null. */
export function plainTextIn(page, text) {
  return page.evaluate(async (text) => {
    const needle = new TextEncoder().encode(text.slice(0, 24));
    const holds = (bytes) => {
      outer: for (let i = 0; i + needle.length <= bytes.length; i++) {
        for (let j = 0; j < needle.length; j++) if (bytes[i + j] !== needle[j]) continue outer;
        return true;
      }
      return false;
    };
    const bytesOf = (v) => (v instanceof Uint8Array ? v : new TextEncoder().encode(JSON.stringify(v)));
    const db = await new Promise((resolve) => (indexedDB.open('hosync').onsuccess = (e) => resolve(e.target.result)));
    for (const name of db.objectStoreNames) {
      const tx = db.transaction(name);
      const [keys, values] = await Promise.all(
        ['getAllKeys', 'getAll'].map((m) => new Promise((resolve) => (tx.objectStore(name)[m]().onsuccess = (e) => resolve(e.target.result)))),
      );
      for (let i = 0; i < values.length; i++) if (holds(bytesOf(values[i]))) return `${name} ${JSON.stringify(keys[i])}`;
    }
    db.close();
    return null;
  }, text);
}

/** The phone's record of wrapped keys (the one record in the clear), or undefined. */
export function storedKeys(page) {
  return page.evaluate(
    () =>
      new Promise((resolve) => {
        indexedDB.open('hosync').onsuccess = (e) => {
          e.target.result.transaction('keys').objectStore('keys').get('phone').onsuccess = (r) => resolve(r.target.result);
        };
      }),
  );
}
