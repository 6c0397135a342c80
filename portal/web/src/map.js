/* The map, loaded only when asked for.  Leaflet (no WebGL: it draws on old
 * phones whose GPUs MapLibre cannot use) with a configurable XYZ base map,
 * by default 地理院タイル.  The city's own layers (home, shelters, gauges)
 * are SVG vectors drawn from the API, so they draw without any tile. */
import L from 'leaflet';
import 'leaflet/dist/leaflet.css';
import { LEVELS, levelName } from './levels.js';

const DEFAULT_TILES = {
  url: 'https://cyberjapandata.gsi.go.jp/xyz/std/{z}/{x}/{y}.png',
  attribution: '<a href="https://maps.gsi.go.jp/development/ichiran.html">国土地理院</a>',
  maxZoom: 18,
};

const STATE_WORDS = { stale: '古いデータ', offline: '通信途絶', unknown: '不明', below_start: '観測開始前', watch: '観測中', ok: '正常' };

async function json(url) {
  const r = await fetch(url, { cache: 'no-cache' });
  if (!r.ok) throw new Error(String(r.status));
  return r.json();
}

export async function openMap({ el, list, home, lang, onPick }) {
  let cfg = {};
  try { cfg = await json('/config.json'); } catch { /* the defaults */ }
  const tiles = { ...DEFAULT_TILES, ...(cfg.tiles || {}) };
  const reduced = matchMedia('(prefers-reduced-motion: reduce)').matches;
  const center = home ? [home.lat, home.lon] : cfg.center || [38.7275, 139.8268];
  const map = L.map(el, { zoomAnimation: !reduced, fadeAnimation: !reduced, markerZoomAnimation: !reduced, preferCanvas: false }).setView(center, cfg.zoom || 14);
  map.attributionControl.setPrefix(false);
  L.tileLayer(tiles.url, { attribution: tiles.attribution, maxZoom: tiles.maxZoom, crossOrigin: true }).addTo(map);
  map.attributionControl.addAttribution('気象庁・国土交通省（観測所）・国土地理院（避難場所）');

  const layers = { home: L.layerGroup().addTo(map), shelters: L.layerGroup().addTo(map), gauges: L.layerGroup().addTo(map) };
  const items = { shelters: [], gauges: [] };
  let homeMarker = null;

  function setHome(h) {
    layers.home.clearLayers();
    homeMarker = L.circleMarker([h.lat, h.lon], { radius: 11, color: '#000', weight: 3, fillColor: '#1a73e8', fillOpacity: 1, className: 'sonae-home' }).bindTooltip('自宅', { permanent: false });
    layers.home.addLayer(homeMarker);
    map.setView([h.lat, h.lon], Math.max(map.getZoom(), 14), { animate: !reduced });
  }
  if (home) setHome(home);

  map.on('click', (e) => onPick(e.latlng.lat, e.latlng.lng));

  const [sh, st] = await Promise.allSettled([json('/api/v1/shelters'), json('/api/v1/stations?kind=gauge')]);
  if (sh.status === 'fulfilled') {
    for (const f of sh.value.features || []) {
      const [lon, lat] = f.geometry.coordinates;
      const p = f.properties;
      const m = L.circleMarker([lat, lon], { radius: 8, color: '#000', weight: 2, fillColor: p.open ? '#1e8e3e' : '#ffffff', fillOpacity: 1, className: 'sonae-shelter' })
        .bindPopup(`${p.name}<br>${p.open ? '開設中' : '未開設'}`);
      layers.shelters.addLayer(m);
      items.shelters.push({ name: p.name, text: p.open ? '開設中' : '未開設', lat, lon });
    }
  }
  if (st.status === 'fulfilled') {
    for (const f of st.value.features || []) {
      const [lon, lat] = f.geometry.coordinates;
      const p = f.properties;
      const lv = LEVELS[p.level];
      const bad = ['stale', 'offline', 'unknown'].includes(p.state);
      /* Stale, offline and unknown are grey with a dashed outline: never
       * the white or no-colour of "safe". */
      const m = L.circleMarker([lat, lon], {
        radius: 7, color: '#000', weight: 2, dashArray: bad ? '3 3' : null,
        fillColor: bad ? '#8a8a8a' : lv ? lv.fill : '#d9f2ff', fillOpacity: 1, className: `sonae-gauge${p.level ? ` l${p.level}` : ''}`,
      });
      const words = bad ? STATE_WORDS[p.state] : p.level ? levelName(p.level) : '基準以下';
      m.bindPopup(`${p.name}（${p.river || ''}）<br>${p.value ?? '—'} ${p.unit || ''}<br>${words}`);
      layers.gauges.addLayer(m);
      items.gauges.push({ name: `${p.name}（${p.river || ''}）`, text: words, lat, lon, level: p.level });
    }
  }

  /* Everything on the map as keyboard-reachable lists. */
  list.replaceChildren();
  for (const [k, title] of [['shelters', '避難場所'], ['gauges', '水位観測所']]) {
    const h = document.createElement('h4');
    h.textContent = title;
    const ul = document.createElement('ul');
    for (const it of items[k]) {
      const li = document.createElement('li');
      const b = document.createElement('button');
      b.type = 'button';
      b.textContent = `${it.name}：${it.text}`;
      b.addEventListener('click', () => map.setView([it.lat, it.lon], 16, { animate: !reduced }));
      li.append(b);
      ul.append(li);
    }
    list.append(h, ul);
  }
  const api = { map, layers, items, setHome, L };
  window.sonaeMap = api;
  return api;
}
