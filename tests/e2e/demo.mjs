/* The demo's residents' page in Debian's chromium (playwright-core), while
 * the scenario's レベル５大雨特別警報 and the city's 避難指示 are in force:
 * for a point in the flood zone, the page must show 「訓練・デモ」, the
 * flood hazard, both level lines (the city's order; JMA's 相当), an open
 * shelter with its distance, the attributions, and the real telegram the
 * test put beside the drill on a line of its own, never merged.  The HQ dashboard, when
 * served, must say 訓練 too; logged in as the demo staff account (password
 * read from PW_FILE), its sensor health must show node-3 as 通信途絶 during
 * its outage and then no longer.  Prints "RESULT passed failed".
 *
 *   node demo.mjs BASE_URL WEB_DIR SHOT_DIR LAT LON PW_FILE */
import { createRequire } from 'node:module';
import { mkdtempSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const [base, webDir, shotDir, lat, lon, pwFile] = process.argv.slice(2);
const require = createRequire(join(webDir, 'package.json'));
const { chromium } = require('playwright-core');
const SCALE = Number(process.env.SONAE_TIME_SCALE || 1);

let passed = 0;
let failed = 0;
function check(name, ok, detail = '') {
  if (ok) { passed++; console.log(`ok: chromium: ${name}`); } else { failed++; console.log(`FAIL: chromium: ${name} ${detail}`); }
  return ok;
}

const profile = mkdtempSync(join(tmpdir(), 'sonae-demo-chromium-'));
mkdirSync(shotDir, { recursive: true });
let context;
try {
  context = await chromium.launchPersistentContext(profile, {
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--enable-unsafe-swiftshader', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--no-first-run'],
    viewport: { width: 412, height: 1100 },
    locale: 'ja-JP',
    timezoneId: 'Asia/Tokyo',
    geolocation: { latitude: Number(lat), longitude: Number(lon) },
    permissions: ['geolocation'],
  });
  context.setDefaultTimeout(Math.round(20000 * SCALE));
  await context.route((url) => !/^https?:\/\/127\.0\.0\.1[:/]/.test(url.href) && !url.href.startsWith('data:'), (r) => r.abort());
  const page = context.pages()[0] || await context.newPage();
  await page.goto(base + '/');
  await page.click('#locate');
  await page.waitForFunction(() => document.querySelector('#hazards')?.textContent.includes('浸水'));
  await page.waitForFunction(() => document.querySelector('#levels .line.city'));
  const banner = page.locator('#exercise');
  check('「訓練・デモ」 is shown', await banner.isVisible() && (await banner.textContent()).includes('訓練・デモ'));
  const hz = await page.locator('#hazards').textContent();
  check('the flood hazard of the point', hz.includes('浸水'), hz.slice(0, 120));
  const cityLine = await page.locator('#levels .line.city').textContent();
  const jmaLine = await page.locator('#levels .line.jma').textContent();
  check('the city line names the order (避難指示)', cityLine.includes('避難指示'), cityLine);
  check('the JMA line says レベル５相当, apart from the order', /警戒レベル５/.test(jmaLine) && jmaLine.includes('相当') && !jmaLine.includes('避難指示'), jmaLine);
  const real = page.locator('#levels .line.real');
  if (check('a real (通常) telegram beside the drill has its own line', await real.count() === 1)) {
    const realLine = await real.textContent();
    check('the real line shows the real kind (大雨注意報), the drill line does not',
      realLine.includes('大雨注意報') && realLine.includes('訓練ではない') && !jmaLine.includes('大雨注意報'), `${realLine} / ${jmaLine}`);
  }
  const sh = await page.locator('#shelters').textContent();
  check('an open shelter with its distance', sh.includes('開設中') && /\d(\.\d)?k?m/.test(sh), sh.slice(0, 160));
  const body = await page.locator('body').textContent();
  check('attributions (気象庁)', body.includes('気象庁'));
  await page.screenshot({ path: join(shotDir, 'demo-residents.png'), fullPage: false });
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.screenshot({ path: join(shotDir, 'demo-top.png'), fullPage: false });
  const hq = await page.goto(base + '/hq.html');
  if (hq && hq.status() === 200) {
    await page.waitForTimeout(Math.round(3000 * SCALE));
    const text = await page.locator('body').textContent();
    check('the HQ dashboard shows 訓練', text.includes('訓練'));
    if (pwFile) {
      await page.fill('#login-name', 'demo');
      await page.fill('#login-pw', readFileSync(pwFile, 'utf8').trim());
      await page.click('#login button[type=submit]');
      await page.waitForFunction(() => window.sonaeHq?.ready);
      /* node-3's outage (story +50 to +140 minutes) is on when the story's
       * crest is: its line in the sensor health turns 通信途絶 once the
       * ingest misses it, and back once its backlog arrives. */
      const off = '#health li[data-device="node-3"] .badge.offline';
      const timeout = Math.round(45000 * SCALE);
      const shown = await page.waitForSelector(off, { timeout }).then(() => true, () => false);
      const line = shown ? await page.locator('#health li[data-device="node-3"]').textContent() : '';
      check('the HQ sensor health shows node-3 as 通信途絶 during its outage', shown && line.includes('通信途絶'),
        (await page.locator('#health').textContent()).slice(0, 300));
      if (shown) {
        const panel = page.locator('section:has(#health)');
        await panel.scrollIntoViewIfNeeded();
        await panel.screenshot({ path: join(shotDir, 'demo-hq-sensors.png') });
      }
      const back = shown && await page.waitForSelector(off, { state: 'detached', timeout }).then(() => true, () => false);
      check('then node-3 is back (no longer 通信途絶)', back);
    }
  } else {
    console.log(`note: /hq.html answers ${hq ? hq.status() : 'nothing'}: the HQ dashboard is not built here`);
  }
} catch (e) {
  check('the page could be driven', false, String(e.stack || e));
} finally {
  if (context) await context.close();
  rmSync(profile, { recursive: true, force: true });
}
console.log(`RESULT ${passed} ${failed}`);
