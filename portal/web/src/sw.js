/* Sonae's service worker.  The app shell is precached (its list is written
 * in at build time); API reads go to the network first and fall back to
 * the last answer kept here, marked with X-Sonae-Cached-At so the page can
 * say how old it is; map tiles around home are kept within 10 MB. */
const VERSION = '__VERSION__';
const SHELL = __SHELL__;
const SHELL_CACHE = `sonae-shell-${VERSION}`;
const DATA_CACHE = 'sonae-data';
const TILE_CACHE = 'sonae-tiles';
const TILE_BUDGET = 10 * 1024 * 1024;

self.addEventListener('install', (e) => {
  e.waitUntil(caches.open(SHELL_CACHE).then((c) => c.addAll(SHELL)).then(() => self.skipWaiting()));
});
self.addEventListener('activate', (e) => {
  e.waitUntil(caches.keys().then((ks) => Promise.all(ks.filter((k) => k.startsWith('sonae-shell-') && k !== SHELL_CACHE).map((k) => caches.delete(k))))
    .then(() => self.clients.claim()));
});

async function networkFirst(req) {
  const cache = await caches.open(DATA_CACHE);
  try {
    const r = await fetch(req);
    if (r.ok) {
      const body = await r.clone().arrayBuffer();
      const h = new Headers(r.headers);
      h.set('X-Sonae-Cached-At', String(Date.now()));
      await cache.put(req, new Response(body, { status: 200, headers: h }));
    }
    return r;
  } catch (err) {
    const hit = await cache.match(req);
    if (hit) return hit;
    throw err;
  }
}

async function shell(req) {
  const url = new URL(req.url);
  const c = await caches.open(SHELL_CACHE);
  const hit = await c.match(req.mode === 'navigate' ? '/' : url.pathname);
  if (hit && req.mode !== 'navigate') return hit;
  try {
    const r = await fetch(req);
    if (r.ok && req.mode === 'navigate' && url.pathname === '/') c.put('/', r.clone());
    return r;
  } catch (err) {
    if (hit) return hit;
    throw err;
  }
}

async function tile(req) {
  const c = await caches.open(TILE_CACHE);
  const hit = await c.match(req);
  if (hit) return hit;
  return fetch(req);
}

self.addEventListener('fetch', (e) => {
  const req = e.request;
  if (req.method !== 'GET') return;
  const url = new URL(req.url);
  if (url.origin === location.origin && url.pathname.startsWith('/api/v1/events')) return;
  /* A plan read with its token is never kept here: the page keeps the plan. */
  if (url.origin === location.origin && url.pathname.startsWith('/api/v1/timeline')) return;
  if (url.origin === location.origin && url.pathname.startsWith('/api/')) e.respondWith(networkFirst(req));
  else if (/\/\d+\/\d+\/\d+\.(png|jpg|webp|pbf|mvt)$/.test(url.pathname)) e.respondWith(tile(req));
  else if (url.origin === location.origin) e.respondWith(shell(req));
});

/* Tiles around home, zooms 13-16 (a 3x3 block at 13, growing with the
 * zoom: 404 tiles), fetched once and kept within the budget.  Tiles of an
 * earlier home are dropped first, so a move never leaves the new home
 * without its tiles. */
function tileXY(lat, lon, z) {
  const n = 2 ** z;
  const x = Math.floor(((lon + 180) / 360) * n);
  const r = (lat * Math.PI) / 180;
  const y = Math.floor(((1 - Math.log(Math.tan(r) + 1 / Math.cos(r)) / Math.PI) / 2) * n);
  return [x, y];
}
function tilesAround(lat, lon, template) {
  const out = [];
  for (let z = 13; z <= 16; z++) {
    const [cx, cy] = tileXY(lat, lon, z);
    const k = 2 ** (z - 13);
    for (let dx = -k; dx <= k; dx++) for (let dy = -k; dy <= k; dy++) {
      out.push(new URL(template.replace('{z}', z).replace('{x}', cx + dx).replace('{y}', cy + dy), self.location.href).href);
    }
  }
  return out;
}
async function cacheTiles(lat, lon, template) {
  const c = await caches.open(TILE_CACHE);
  const want = tilesAround(lat, lon, template);
  const keep = new Set(want);
  let used = 0;
  let kept = 0;
  for (const r of await c.keys()) {
    if (!keep.has(r.url)) { await c.delete(r); continue; }
    const m = await c.match(r);
    used += m ? (await m.blob()).size : 0;
    kept++;
  }
  for (const u of want) {
    if (await c.match(u)) continue;
    /* Stop before a tile of the usual size would no longer fit. */
    if (kept && used + used / kept > TILE_BUDGET) return;
    try {
      const r = await fetch(u, { mode: 'cors' });
      if (!r.ok) return;
      const b = await r.clone().arrayBuffer();
      if (used + b.byteLength > TILE_BUDGET) return;
      used += b.byteLength;
      kept++;
      await c.put(u, r);
    } catch { return; /* offline or blocked: try again next time */ }
  }
}
/* One run at a time, so two quick changes of home cannot both fill the
 * cache past its budget. */
let tileRun = Promise.resolve();
self.addEventListener('message', (e) => {
  if (e.data?.type !== 'tiles') return;
  /* Offline, the kept config.json: the default template would drop every
   * tile of a configured base map. */
  tileRun = tileRun.then(() => fetch('/config.json').catch(() => caches.match('/config.json')).then((r) => r.json()).catch(() => ({})))
    .then((cfg) => cacheTiles(e.data.lat, e.data.lon, cfg.tiles?.url || 'https://cyberjapandata.gsi.go.jp/xyz/std/{z}/{x}/{y}.png'))
    .catch(() => {});
  e.waitUntil(tileRun);
});

/* Web Push: the portal's payload is {title, body, type, level, exercise,
 * recovery} (docs/notifications.md); a drill's title and body already say
 * 「訓練」 and are shown as they are.  A tap opens the page at the plan. */
function notify(m) {
  const title = typeof m?.title === 'string' && m.title ? m.title : '鶴岡市からのお知らせ';
  const body = typeof m?.body === 'string' ? m.body : '';
  return self.registration.showNotification(title, {
    body, tag: m?.type || 'sonae', renotify: true, lang: 'ja',
    requireInteraction: (m?.level || 0) >= 4, data: { url: '/#plan' },
  });
}
self.addEventListener('push', (e) => {
  let m = null;
  try { m = e.data ? e.data.json() : null; } catch { m = { body: e.data?.text() || '' }; }
  const shown = notify(m);
  /* A synthetic event (the browser tests) may be past its waitUntil window. */
  try { e.waitUntil(shown); } catch { /* shown anyway */ }
});
self.addEventListener('notificationclick', (e) => {
  e.notification.close();
  const url = new URL(e.notification.data?.url || '/#plan', self.location.origin).href;
  e.waitUntil(self.clients.matchAll({ type: 'window', includeUncontrolled: true }).then((cs) => {
    const c = cs.find((w) => new URL(w.url).origin === self.location.origin);
    if (c) return c.navigate(url).then((w) => (w || c).focus()).catch(() => c.focus());
    return self.clients.openWindow(url);
  }));
});
