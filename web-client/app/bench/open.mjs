// How fast the app opens on a slow phone (the design's bar: usable offline within 1 s on a
// 4×-throttled CPU, with 100 households on the phone). Seeds a demo district and, for a cell
// secretary's phone and a commune committee's (the most a phone holds), enrols it, syncs it
// once, then reopens the app offline with Chromium's CPU throttled and times from navigation
// to the data read into the core and to the households list on screen. Prints one JSON line.
//
// Run by `cargo xtask bench`; by hand: HOSYNC_BIN=… HOSYNC_APP_DIR=… node bench/open.mjs

import { Server, launch, phone, enrol } from '../tests/harness.mjs';

const SCALE = Number(process.env.HOSYNC_BENCH_SCALE ?? '0.05');
const COMMUNE = process.env.HOSYNC_BENCH_COMMUNE ?? 'hsp-x01';
const THROTTLE = 4;
const RUNS = 5;

async function measure(browser, server, holder, label) {
  const { page, context } = await phone(browser, server);
  const started = Date.now();
  await enrol({ page }, server.code(holder));
  await page.locator('a.card').first().waitFor();
  const firstSyncMs = Date.now() - started;
  const households = await page.locator('a.card').count();
  const stored = await page.evaluate(async () => (await navigator.storage.estimate()).usage ?? 0);

  await context.setOffline(true);
  const cdp = await context.newCDPSession(page);
  await cdp.send('Emulation.setCPUThrottlingRate', { rate: THROTTLE });
  const opens = [];
  for (let i = 0; i < RUNS; i++) {
    await page.reload();
    await page.locator('a.card').first().waitFor({ timeout: 60_000 });
    opens.push(
      await page.evaluate(() => {
        const at = (name) => performance.getEntriesByName(name)[0]?.startTime ?? NaN;
        return { loaded: at('hosync:loaded'), shown: at('hosync:households') };
      }),
    );
  }
  await context.close();
  opens.sort((a, b) => a.shown - b.shown);
  const median = opens[Math.floor(RUNS / 2)];
  return {
    phone: label,
    households,
    stored_bytes: stored,
    first_sync_ms: firstSyncMs,
    loaded_ms_median: Math.round(median.loaded),
    open_ms_median: Math.round(median.shown),
    open_ms_max: Math.round(opens[RUNS - 1].shown),
  };
}

const server = await Server.start({ scale: SCALE });
const browser = await launch();
try {
  server.addUser('bench-commune', 'commune_committee', COMMUNE);
  const phones = [
    await measure(browser, server, server.ids.secretary, `the secretary of ${server.ids.cell}`),
    await measure(browser, server, 'bench-commune', `a committee of commune ${COMMUNE}`),
  ];
  console.log(JSON.stringify({ scale: SCALE, throttle: THROTTLE, runs: RUNS, phones }));
} finally {
  await browser.close();
  await server.stop();
}
