/* The residents' page's weight budget: builds portal/web (unless
 * --no-build) and measures, gzip -9 as the portal would send it, the first
 * view (index.html and every file it loads) and the on-demand chunks (the
 * map with its CSS, the QR encoder).  Prints each against its budget and
 * the map chunk against the first view of the same build; with
 * maplibre-gl installed beside leaflet (npm install --no-save maplibre-gl)
 * it prints MapLibre's weight against Leaflet's too.  Exits 1 over budget.
 *
 *   node tests/bench/web_budget.mjs [--no-build] */
import { execFileSync } from 'node:child_process';
import { readFileSync, readdirSync, existsSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const web = join(dirname(fileURLToPath(import.meta.url)), '../../portal/web');
if (!process.argv.includes('--no-build')) execFileSync('npm', ['run', '--silent', 'build'], { cwd: web, stdio: 'ignore' });
const dist = join(web, 'dist');
const gz = (f) => gzipSync(readFileSync(f), { level: 9 }).length;
const kb = (n) => `${(n / 1024).toFixed(1)} KB`;

const html = readFileSync(join(dist, 'index.html'), 'utf8');
const first = ['index.html', 'config.json', 'manifest.webmanifest', 'icon.svg',
  ...[...html.matchAll(/(?:src|href)="\/(assets\/[^"]+)"/g)].map((m) => m[1])];
const firstBytes = first.reduce((s, f) => s + gz(join(dist, f)), 0);
const assets = readdirSync(join(dist, 'assets'));
const chunk = (prefix) => assets.filter((f) => f.startsWith(prefix) && /\.(js|css)$/.test(f)).reduce((s, f) => s + gz(join(dist, 'assets', f)), 0);
const map = chunk('map-');
const qr = chunk('qrcode');

const BUDGET = { first: 150 * 1024, map: 100 * 1024 };
console.log(`first view   ${kb(firstBytes)} of ${kb(BUDGET.first)} (${(firstBytes / BUDGET.first).toFixed(2)}× budget), files: ${first.join(' ')}`);
console.log(`map chunk    ${kb(map)} of ${kb(BUDGET.map)} (${(map / BUDGET.map).toFixed(2)}× budget; ${(map / firstBytes).toFixed(2)}× the first view)`);
console.log(`qr chunk     ${kb(qr)} (print view only)`);

const leaflet = gz(join(web, 'node_modules/leaflet/dist/leaflet.js')) + gz(join(web, 'node_modules/leaflet/dist/leaflet.css'));
const ml = join(web, 'node_modules/maplibre-gl/dist');
if (existsSync(ml)) {
  const mlb = ['maplibre-gl.mjs', 'maplibre-gl-worker.mjs', 'maplibre-gl.css'].filter((f) => existsSync(join(ml, f))).reduce((s, f) => s + gz(join(ml, f)), 0);
  console.log(`MapLibre GL JS ${kb(mlb)} vs Leaflet ${kb(leaflet)}: ${(mlb / leaflet).toFixed(1)}× (and MapLibre needs WebGL)`);
} else {
  console.log(`Leaflet ${kb(leaflet)} (install maplibre-gl with --no-save to compare)`);
}
process.exitCode = firstBytes > BUDGET.first || map > BUDGET.map ? 1 : 0;
