/* A test HTTP server in front of the real sonae-portald for the browser
 * tests.  Everything is passed through to the portal; the API routes the
 * pages asked for are recorded (with the status of their last answer), so
 * the test report says what ran.  Every route the residents' page needs is
 * on the portal now: no answer comes from a fixture.
 *
 *   node server.mjs LISTEN_PORT PORTAL_PORT REPORT_FILE */
import http from 'node:http';
import { writeFileSync } from 'node:fs';

const [port, upstream, report] = process.argv.slice(2);
const used = {};

/* "/api/v1/addresses/districts/D01" → "addresses/districts/{}". */
const routeOf = (path) => path.replace(/^\/api\/v1\//, '').split('/').map((p, i) => (i > 0 && /\d|%/.test(p) ? '{}' : p)).join('/');

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
    if (u.pathname.startsWith('/api/v1/')) used[`${req.method} ${routeOf(u.pathname)}`] = up.status;
    res.writeHead(up.status, up.headers);
    res.end(up.body);
  } catch (e) {
    res.writeHead(502, { 'Content-Type': 'text/plain' });
    res.end(String(e));
  }
}).listen(+port, '127.0.0.1', () => console.log(`test server on ${port} → portal ${upstream}`));

const save = () => writeFileSync(report, JSON.stringify(used, null, 1));
setInterval(save, 500);
process.on('SIGTERM', () => { save(); process.exit(0); });
