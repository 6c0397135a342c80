/* The HQ dashboard's map with many stations: frame times while the map
 * pans and zooms, the time one regrouping takes, and the latency from a
 * zoom click to the redrawn map, for the store as it is (the baseline)
 * and again after the driver added stations.  Prints one JSON line per run.
 *
 *   node hq_map.mjs BASE_URL WEB_DIR USER PASSWORD LABEL */
import { createRequire } from 'node:module';
import { join } from 'node:path';

const [base, webDir, user, password, label] = process.argv.slice(2);
const require = createRequire(join(webDir, 'package.json'));
const { chromium } = require('playwright-core');

const browser = await chromium.launch({
  executablePath: '/usr/bin/chromium',
  headless: true,
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--enable-unsafe-swiftshader', '--disable-background-networking',
    '--disable-component-update', '--disable-sync', '--disable-quic', '--no-first-run'],
});
const ctx = await browser.newContext({ viewport: { width: 1600, height: 1000 }, locale: 'ja-JP', timezoneId: 'Asia/Tokyo' });
await ctx.route((u) => !/^https?:\/\/127\.0\.0\.1[:/]/.test(u.href) && !u.href.startsWith('data:'), (r) => r.abort());
ctx.setDefaultTimeout(120000);
const page = await ctx.newPage();
await page.goto(`${base}/hq.html`);
await page.waitForSelector('#gate:not([hidden])');
await page.fill('#login-name', user);
await page.fill('#login-pw', password);
const t0 = Date.now();
await page.click('#login button[type=submit]');
await page.waitForFunction(() => window.sonaeHq?.ready);
const readyMs = Date.now() - t0;

const r = await page.evaluate(async () => {
  const m = window.sonaeHqMap.map;
  const n = window.sonaeHqMap.data.gauges.length;
  const frames = [];
  let last = performance.now();
  let on = true;
  const tick = (t) => { frames.push(t - last); last = t; if (on) requestAnimationFrame(tick); };
  requestAnimationFrame(tick);
  const renders = [];
  const steps = [];
  let markers = 0;
  const wait = () => {
    const t = performance.now();
    return new Promise((res) => m.once('moveend', () => requestAnimationFrame(() => {
      renders.push(window.sonaeHqMap.renderMs);
      steps.push(performance.now() - t);
      markers = Math.max(markers, document.querySelectorAll('.leaflet-marker-pane .hq-pt, .leaflet-marker-pane .hq-cluster').length);
      res();
    })));
  };
  /* A scripted session: zoom out to the whole area, pan across it, zoom in
   * step by step and out again. */
  const lat = 38.75;
  const lon = 139.8;
  for (const [z, dx] of [[9, 0], [10, 0], [10, 0.15], [11, 0.15], [11, -0.15], [12, 0], [13, 0.05], [12, 0], [11, 0], [10, 0]]) {
    const p = wait();
    m.setView([lat, lon + dx], z, { animate: false });
    await p;
  }
  for (let i = 0; i < 10; i++) {
    const p = wait();
    m.panBy([120, 40], { animate: false });
    await p;
  }
  on = false;
  frames.shift();
  /* Interaction latency: a click on 「+」 until the regrouped map is painted. */
  const lat2 = [];
  for (let i = 0; i < 4; i++) {
    const btn = document.querySelector(i % 2 ? '.leaflet-control-zoom-out' : '.leaflet-control-zoom-in');
    const t = performance.now();
    const p = new Promise((res) => m.once('moveend', () => requestAnimationFrame(() => res(performance.now() - t))));
    btn.click();
    lat2.push(await p);
    await new Promise((res) => setTimeout(res, 400));
  }
  const q = (a, f) => { const s = [...a].sort((x, y) => x - y); return s[Math.min(s.length - 1, Math.floor(f * s.length))]; };
  return {
    stations: n, markers,
    frame_p50_ms: q(frames, 0.5), frame_p95_ms: q(frames, 0.95), frame_max_ms: Math.max(...frames),
    regroup_p50_ms: q(renders, 0.5), regroup_max_ms: Math.max(...renders),
    move_to_paint_p50_ms: q(steps, 0.5), move_to_paint_p95_ms: q(steps, 0.95), steps: steps.map((x) => Math.round(x)).join(' '),
    zoom_click_to_paint_ms: q(lat2, 0.5), zoom_click_max_ms: Math.max(...lat2),
  };
});
const round = (o) => Object.fromEntries(Object.entries(o).map(([k, v]) => [k, typeof v === 'number' ? Math.round(v * 10) / 10 : v]));
console.log(`RUN ${label} ${JSON.stringify(round({ ...r, ready_ms: readyMs }))}`);
await browser.close();
