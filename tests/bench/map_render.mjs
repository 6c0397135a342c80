/* Leaflet against MapLibre GL JS drawing the residents' map, in Debian's
 * chromium as the browser tests run it (no GPU: SwiftShader), with the CPU
 * slowed 4× as a stand-in for an old phone.  Both draw the same layers
 * without a base map: N hazard polygons of 24 vertices (a city's flood
 * layer) and 300 points (shelters and gauges).  Prints, per library and
 * size, the time from loading the library to the first complete frame,
 * and the JavaScript heap then; Leaflet's time is the baseline.
 *
 * MapLibre is not a dependency of the page: install it anywhere and pass
 * its folder (the one holding dist/), e.g.
 *   npm install --prefix /tmp/ml maplibre-gl
 *   node tests/bench/map_render.mjs /tmp/ml/node_modules/maplibre-gl */
import http from 'node:http';
import { readFileSync, existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, dirname, extname } from 'node:path';
import { fileURLToPath } from 'node:url';

const web = join(dirname(fileURLToPath(import.meta.url)), '../../portal/web');
const require = createRequire(join(web, 'package.json'));
const { chromium } = require('playwright-core');
const leafletDir = join(web, 'node_modules/leaflet/dist');
const mlDir = process.argv[2] ? join(process.argv[2], 'dist') : null;
const SIZES = (process.env.SIZES || "200,2000").split(",").map(Number);
const RUNS = +(process.env.RUNS || 3);

/* The same data for both: polygons on a grid around 鶴岡市役所, points among them. */
function data(n) {
  const polys = [];
  const side = Math.ceil(Math.sqrt(n));
  for (let i = 0; i < n; i++) {
    const cx = 139.78 + (i % side) * (0.1 / side);
    const cy = 38.69 + Math.floor(i / side) * (0.08 / side);
    const r = 0.4 * (0.1 / side);
    const ring = [];
    for (let k = 0; k <= 24; k++) {
      const a = (k % 24) * (Math.PI / 12);
      ring.push([cx + r * Math.cos(a) * (0.8 + 0.2 * ((k * 7) % 5) / 5), cy + r * Math.sin(a)]);
    }
    polys.push({ type: 'Feature', properties: { rank: 1 + (i % 5) }, geometry: { type: 'Polygon', coordinates: [ring] } });
  }
  const points = Array.from({ length: 300 }, (_, i) => ({ type: 'Feature', properties: { level: i % 6 }, geometry: { type: 'Point', coordinates: [139.78 + ((i * 37) % 100) / 1000, 38.69 + ((i * 53) % 80) / 1000] } }));
  return { polys: { type: 'FeatureCollection', features: polys }, points: { type: 'FeatureCollection', features: points } };
}

const FILL = ['#F7F5A9', '#FFD8C0', '#FFB7B7', '#FF9191', '#F285C9'];
const page = (lib) => `<!doctype html><meta charset="utf-8"><style>html,body,#m{margin:0;height:100%}</style>
<link rel="stylesheet" href="/${lib}/${lib === 'leaflet' ? 'leaflet.css' : 'maplibre-gl.css'}"><div id="m"></div>
<script type="module">
const n = +new URLSearchParams(location.search).get('n');
const d = await (await fetch('/data?n=' + n)).json();
const t0 = performance.now();
const frames = () => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)));
if (${lib === 'leaflet'}) {
  await new Promise((r) => { const s = document.createElement('script'); s.src = '/leaflet/leaflet.js'; s.onload = r; document.head.append(s); });
  const map = L.map('m', { zoomAnimation: false, fadeAnimation: false }).setView([38.73, 139.83], 13);
  L.geoJSON(d.polys, { style: (f) => ({ color: '#000', weight: 1, fillColor: ${JSON.stringify(FILL)}[f.properties.rank - 1], fillOpacity: 0.5 }) }).addTo(map);
  L.geoJSON(d.points, { pointToLayer: (f, ll) => L.circleMarker(ll, { radius: 7, color: '#000', weight: 2, fillColor: '#AA00AA', fillOpacity: 1 }) }).addTo(map);
  await frames();
} else {
  const mod = await import('/maplibre/maplibre-gl.mjs');
  const ml = mod.Map ? mod : mod.default;
  const map = new ml.Map({ container: 'm', center: [139.83, 38.73], zoom: 12, fadeDuration: 0, style: { version: 8, sources: {}, layers: [{ id: 'bg', type: 'background', paint: { 'background-color': '#f3f1ea' } }] } });
  await new Promise((r) => map.on('load', r));
  map.addSource('h', { type: 'geojson', data: d.polys });
  map.addSource('p', { type: 'geojson', data: d.points });
  map.addLayer({ id: 'h', type: 'fill', source: 'h', paint: { 'fill-color': ['at', ['-', ['get', 'rank'], 1], ['literal', ${JSON.stringify(FILL)}]], 'fill-opacity': 0.5, 'fill-outline-color': '#000' } });
  map.addLayer({ id: 'p', type: 'circle', source: 'p', paint: { 'circle-radius': 7, 'circle-color': '#AA00AA', 'circle-stroke-color': '#000', 'circle-stroke-width': 2 } });
  await new Promise((r) => map.once('idle', r));
  await frames();
}
window.done = { ms: performance.now() - t0, heap: performance.memory ? performance.memory.usedJSHeapSize : 0 };
</script>`;

const types = { '.js': 'text/javascript', '.mjs': 'text/javascript', '.css': 'text/css' };
const srv = http.createServer((req, res) => {
  const u = new URL(req.url, 'http://x');
  const send = (body, type) => { res.writeHead(200, { 'Content-Type': type }); res.end(body); };
  if (u.pathname === '/data') return send(JSON.stringify(data(+u.searchParams.get('n'))), 'application/json');
  if (u.pathname === '/leaflet.html' || u.pathname === '/maplibre.html') return send(page(u.pathname.slice(1, -5)), 'text/html; charset=utf-8');
  const m = /^\/(leaflet|maplibre)\/([\w.-]+)$/.exec(u.pathname);
  const dir = m && (m[1] === 'leaflet' ? leafletDir : mlDir);
  if (dir && existsSync(join(dir, m[2]))) return send(readFileSync(join(dir, m[2])), types[extname(m[2])] || 'application/octet-stream');
  res.writeHead(404);
  res.end();
});
await new Promise((r) => srv.listen(0, '127.0.0.1', r));
const base = `http://127.0.0.1:${srv.address().port}`;

const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--headless', '--no-sandbox', '--disable-gpu', '--enable-unsafe-swiftshader', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-quic', '--no-first-run', '--enable-precise-memory-info'] });
async function measure(lib, n) {
  const out = [];
  for (let i = 0; i < RUNS; i++) {
    const ctx = await browser.newContext({ viewport: { width: 412, height: 700 } });
    const p = await ctx.newPage();
    const cdp = await ctx.newCDPSession(p);
    await cdp.send('Emulation.setCPUThrottlingRate', { rate: 4 });
    const errors = [];
    p.on('pageerror', (e) => errors.push(String(e)));
    p.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
    await p.goto(`${base}/${lib}.html?n=${n}`);
    try {
      await p.waitForFunction(() => window.done, null, { timeout: +(process.env.TIMEOUT_MS || 120000) });
      out.push(await p.evaluate(() => window.done));
    } catch (e) {
      out.push({ error: errors[0] || String(e).split('\n')[0] });
    }
    await ctx.close();
  }
  const ok = out.filter((x) => !x.error);
  if (!ok.length) return { error: out[0].error };
  const ms = ok.map((x) => x.ms).sort((a, b) => a - b)[Math.floor(ok.length / 2)];
  return { ms, heap: Math.max(...ok.map((x) => x.heap)) };
}
for (const n of SIZES) {
  const lf = await measure('leaflet', n);
  console.log(`${n} polygons + 300 points, CPU 4× slower, SwiftShader: Leaflet ${lf.ms.toFixed(0)} ms to the first frame, heap ${(lf.heap / 1048576).toFixed(1)} MB`);
  if (!mlDir) continue;
  const ml = await measure('maplibre', n);
  if (ml.error) console.log(`  MapLibre GL JS: did not draw (${ml.error})`);
  else console.log(`  MapLibre GL JS ${ml.ms.toFixed(0)} ms (${(ml.ms / lf.ms).toFixed(2)}× Leaflet), heap ${(ml.heap / 1048576).toFixed(1)} MB`);
}
if (!mlDir) console.log('MapLibre not measured: pass the folder of an installed maplibre-gl');
await browser.close();
srv.close();
