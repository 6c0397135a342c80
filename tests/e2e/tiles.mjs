/* A local XYZ tile server and a second origin for the residents' page whose
 * config.json points its base map at it, for the service worker's tile
 * cache test (no tile from the internet in tests).
 *
 *   /small/{z}/{x}/{y}.png  a 256×256 PNG of one colour (a few hundred bytes)
 *   /big/{z}/{x}/{y}.png    the same with an ancillary chunk making it 100 KB,
 *                           so the tiles around home do not fit in 10 MB
 *
 * Every tile request is logged as {kind, z, x, y}. */
import http from 'node:http';
import { deflateSync } from 'node:zlib';

const CRC = new Uint32Array(256).map((_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
function crc32(buf) {
  let c = 0xffffffff;
  for (const b of buf) c = CRC[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}
function chunk(type, data) {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const td = Buffer.concat([Buffer.from(type, 'latin1'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(td));
  return Buffer.concat([len, td, crc]);
}
/* A solid 256×256 RGB PNG; pad bytes in a private ancillary chunk. */
export function png([r, g, b], pad = 0) {
  const row = Buffer.alloc(1 + 256 * 3);
  for (let i = 0; i < 256; i++) row.set([r, g, b], 1 + i * 3);
  const raw = Buffer.concat(Array(256).fill(row));
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(256, 0);
  ihdr.writeUInt32BE(256, 4);
  ihdr.set([8, 2, 0, 0, 0], 8);
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', ihdr),
    ...(pad ? [chunk('prIv', Buffer.alloc(pad, 0x20))] : []), chunk('IDAT', deflateSync(raw)), chunk('IEND', Buffer.alloc(0))]);
}

/* The tile colour: one per zoom, so a screenshot says which zoom drew. */
export const TILE_RGB = { 13: [200, 230, 200], 14: [230, 230, 200], 15: [200, 220, 240], 16: [240, 215, 230] };
const SMALL = Object.fromEntries(Object.entries(TILE_RGB).map(([z, c]) => [z, png(c)]));
const OTHER = png([128, 128, 128]);

const listen = (srv) => new Promise((resolve) => srv.listen(0, '127.0.0.1', () => resolve(srv.address().port)));

export async function startTileServer() {
  const log = [];
  const big = png([128, 128, 128], 100 * 1024);
  const srv = http.createServer((req, res) => {
    const m = /^\/(small|big)\/(\d+)\/(\d+)\/(\d+)\.png$/.exec(req.url);
    if (!m) { res.writeHead(404); res.end(); return; }
    const [kind, z, x, y] = [m[1], +m[2], +m[3], +m[4]];
    log.push({ kind, z, x, y });
    const body = kind === 'big' ? big : SMALL[z] || OTHER;
    res.writeHead(200, { 'Content-Type': 'image/png', 'Content-Length': body.length, 'Access-Control-Allow-Origin': '*', 'Cache-Control': 'no-store' });
    res.end(body);
  });
  const port = await listen(srv);
  return { base: `http://127.0.0.1:${port}`, log, close: () => srv.close() };
}

/* Another origin for the page: everything passed to BASE, except
 * /config.json, whose tiles.url becomes TILES (a deployment edits the same
 * file). */
export async function startConfigProxy(base, tiles) {
  const up = new URL(base);
  const srv = http.createServer((req, res) => {
    const headers = { ...req.headers };
    if (req.url.split('?')[0] === '/config.json') { delete headers['accept-encoding']; delete headers['if-none-match']; }
    const r = http.request({ host: up.hostname, port: up.port, method: req.method, path: req.url, headers }, (pr) => {
      const chunks = [];
      pr.on('data', (c) => chunks.push(c));
      pr.on('end', () => {
        let body = Buffer.concat(chunks);
        const headers = { ...pr.headers };
        if (req.url.split('?')[0] === '/config.json' && pr.statusCode === 200 && !headers['content-encoding']) {
          const cfg = JSON.parse(body.toString('utf8'));
          cfg.tiles = { ...cfg.tiles, url: tiles, attribution: 'テスト用タイル（ローカル）／国土地理院' };
          body = Buffer.from(JSON.stringify(cfg));
          delete headers.etag;
          headers['content-length'] = body.length;
        }
        res.writeHead(pr.statusCode, headers);
        res.end(body);
      });
    });
    r.on('error', (e) => { res.writeHead(502); res.end(String(e)); });
    req.pipe(r);
  });
  const port = await listen(srv);
  return { base: `http://127.0.0.1:${port}`, close: () => srv.close() };
}
