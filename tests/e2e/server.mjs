/* A test HTTP server in front of a real sonae-portald for the browser
 * tests.  Everything is passed through to the portal; a read API route the
 * portal does not have yet (404, or 503 from a store that cannot be
 * seeded) is answered from an authored fixture in the contract's shape
 * (tests/fixtures/web/), and the route is recorded as such so the test
 * report says which parts ran against the real endpoint.
 *
 *   node server.mjs LISTEN_PORT PORTAL_PORT FIXTURE_DIR REPORT_FILE */
import http from 'node:http';
import { readFileSync, writeFileSync } from 'node:fs';

const [port, upstream, dir, report] = process.argv.slice(2);
const fx = (n) => JSON.parse(readFileSync(`${dir}/${n}.json`, 'utf8'));
const hazard = fx('hazard');
const addr = fx('addresses');
const used = {};

const norm = (s) => s.normalize('NFKC').replace(/\s/g, '')
  .replace(/[\u30a1-\u30f6]/g, (c) => String.fromCharCode(c.charCodeAt(0) - 0x60));

/* Fixture answers, by route. */
const fixtures = [
  ['status', /^\/api\/v1\/status$/, () => fx('status')],
  ['shelters', /^\/api\/v1\/shelters$/, () => fx('shelters')],
  ['stations', /^\/api\/v1\/stations$/, () => fx('stations')],
  ['hazard', /^\/api\/v1\/hazard$/, (u) => {
    const lat = +u.searchParams.get('lat');
    const lon = +u.searchParams.get('lon');
    let best = null;
    let bd = Infinity;
    for (const a of hazard.answers) {
      const [x, y] = a.point.coordinates;
      const d = Math.hypot((x - lon) * 87000, (y - lat) * 111000);
      if (d < bd) { bd = d; best = a; }
    }
    /* Further than 300 m from every authored place: the levels of the
     * area, no hazard, no shelter list. */
    const a = bd < 300 ? best : { ...best, hazards: [], shelters: {} };
    return { ...a, point: { type: 'Point', coordinates: [lon, lat] } };
  }],
  ['addresses/districts/{code}', /^\/api\/v1\/addresses\/districts\/([^/]+)$/, (u, m) => ({ addresses: addr.addresses.filter((a) => a.district === decodeURIComponent(m[1])) })],
  ['addresses/districts', /^\/api\/v1\/addresses\/districts$/, () => ({ districts: addr.districts })],
  ['addresses', /^\/api\/v1\/addresses$/, (u) => {
    const q = norm(u.searchParams.get('q') || '');
    return { addresses: q ? addr.addresses.filter((a) => norm(a.label).includes(q)) : [] };
  }],
];

function fromPortal(req, body) {
  return new Promise((resolve, reject) => {
    const r = http.request({ host: '127.0.0.1', port: upstream, method: req.method, path: req.url, headers: req.headers }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    r.on('error', reject);
    r.setTimeout(10000, () => r.destroy(new Error('portal timeout')));
    r.end(body);
  });
}

http.createServer(async (req, res) => {
  const chunks = [];
  for await (const c of req) chunks.push(c);
  const u = new URL(req.url, 'http://127.0.0.1');
  try {
    const up = await fromPortal(req, Buffer.concat(chunks));
    const f = fixtures.find(([, re]) => re.test(u.pathname));
    if (f && (up.status === 404 || up.status === 503)) {
      used[f[0]] = 'fixture';
      const j = JSON.stringify(f[2](u, f[1].exec(u.pathname)));
      res.writeHead(200, { 'Content-Type': 'application/json; charset=utf-8', 'Cache-Control': 'no-cache' });
      res.end(j);
      return;
    }
    if (f && !used[f[0]]) used[f[0]] = 'portal';
    res.writeHead(up.status, up.headers);
    res.end(up.body);
  } catch (e) {
    res.writeHead(502, { 'Content-Type': 'text/plain' });
    res.end(String(e));
  }
}).listen(+port, '127.0.0.1', () => console.log(`stand-in server on ${port} → portal ${upstream}`));

const save = () => writeFileSync(report, JSON.stringify(used, null, 1));
setInterval(save, 500);
process.on('SIGTERM', () => { save(); process.exit(0); });
