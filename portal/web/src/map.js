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

/* Hazard areas in the colours residents know from the printed hazard maps
 * (浸水深: 水害ハザードマップ作成の手引き; 土砂災害警戒区域 yellow, 特別警戒区域
 * red), half transparent over the base map, each with a black edge and its
 * words in a tooltip and in the list below the map. */
const DEPTH_FILL = { 1: '#F7F5A9', 2: '#FFD8C0', 3: '#FFB7B7', 4: '#FF9191', 5: '#F285C9', 6: '#DC7ADC' };
const SLIDE_FILL = { yellow: '#FFE100', red: '#E60000' };
export function hazardStyle(p) {
  const slide = (p.layer || '').startsWith('A33');
  const fill = slide ? SLIDE_FILL[p.class] : DEPTH_FILL[Math.min(6, +p.rank || +p.class)];
  return { color: '#000', weight: 1, opacity: 0.6, fillColor: fill || '#BBBBBB', fillOpacity: 0.5, className: `sonae-hazard ${p.layer}` };
}
/* Hazard areas are asked for by cells of 0.1° (about 10 km), never by the
 * view itself: the request says which part of the city is looked at, not
 * where home is. */
const CELL = 0.1;

const STATE_WORDS = { stale: '古いデータ', offline: '通信途絶', unknown: '不明', below_start: '観測開始前', watch: '観測中', ok: '正常' };

async function json(url) {
  const r = await fetch(url, { cache: 'no-cache' });
  if (!r.ok) throw new Error(String(r.status));
  return r.json();
}

export async function openMap({ el, list, home, answer, onPick }) {
  let cfg = {};
  try { cfg = await json('/config.json'); } catch { /* the defaults */ }
  const tiles = { ...DEFAULT_TILES, ...(cfg.tiles || {}) };
  const reduced = matchMedia('(prefers-reduced-motion: reduce)').matches;
  const center = home ? [home.lat, home.lon] : cfg.center || [38.7275, 139.8268];
  const map = L.map(el, { zoomAnimation: !reduced, fadeAnimation: !reduced, markerZoomAnimation: !reduced, preferCanvas: false }).setView(center, cfg.zoom || 14);
  map.attributionControl.setPrefix(false);
  L.tileLayer(tiles.url, { attribution: tiles.attribution, maxZoom: tiles.maxZoom, crossOrigin: true }).addTo(map);
  map.attributionControl.addAttribution('気象庁・国土交通省（観測所）・国土地理院（避難場所）');

  /* Hazard areas under everything else, in their own pane. */
  map.createPane('hazards').style.zIndex = 350;
  const hazardRenderer = L.svg({ pane: 'hazards' });
  const layers = { hazards: L.layerGroup().addTo(map), route: L.layerGroup().addTo(map), home: L.layerGroup().addTo(map), shelters: L.layerGroup().addTo(map), gauges: L.layerGroup().addTo(map) };
  const items = { hazards: [], shelters: [], gauges: [] };
  let homeMarker = null;

  function setHome(h) {
    layers.home.clearLayers();
    homeMarker = L.circleMarker([h.lat, h.lon], { radius: 11, color: '#000', weight: 3, fillColor: '#1a73e8', fillOpacity: 1, className: 'sonae-home' }).bindTooltip('自宅', { permanent: false });
    layers.home.addLayer(homeMarker);
    map.setView([h.lat, h.lon], Math.max(map.getZoom(), 14), { animate: !reduced });
  }
  if (home) setHome(home);

  map.on('click', (e) => onPick(e.latlng.lat, e.latlng.lng));

  const cells = new Set();
  const seen = new Set();
  const attributions = new Set();
  async function loadCell(cx, cy) {
    const bbox = [cx * CELL, cy * CELL, (cx + 1) * CELL, (cy + 1) * CELL].map((v) => v.toFixed(1)).join(',');
    let url = `/api/v1/ogc/collections/hazards/items?bbox=${bbox}&limit=500`;
    for (let page = 0; url && page < 20; page++) {
      const fc = await json(url);
      for (const f of fc.features || []) {
        if (seen.has(f.id)) continue;
        seen.add(f.id);
        const p = f.properties;
        const words = `${p.title}：${p.label_ja}`;
        const g = L.geoJSON(f, { style: () => hazardStyle(p), renderer: hazardRenderer, pane: 'hazards' }).bindTooltip(words, { sticky: true });
        layers.hazards.addLayer(g);
        items.hazards.push({ name: p.title, text: p.label_ja, layer: p.layer, class: p.class, id: f.id, bounds: g.getBounds(), group: g });
        if (p.attribution && !attributions.has(p.attribution)) { attributions.add(p.attribution); map.attributionControl.addAttribution(p.attribution); }
      }
      const next = (fc.links || []).find((l) => l.rel === 'next');
      url = next ? new URL(next.href, location.href).pathname + new URL(next.href, location.href).search : null;
    }
  }
  async function loadHazards() {
    const b = map.getBounds().pad(0.2);
    const jobs = [];
    for (let cx = Math.floor(b.getWest() / CELL); cx <= Math.floor(b.getEast() / CELL); cx++) {
      for (let cy = Math.floor(b.getSouth() / CELL); cy <= Math.floor(b.getNorth() / CELL); cy++) {
        const k = `${cx}/${cy}`;
        if (cells.has(k) || cells.size > 64) continue;
        cells.add(k);
        jobs.push(loadCell(cx, cy).catch(() => cells.delete(k)));
      }
    }
    await Promise.all(jobs);
    renderList();
  }

  /* The way to the nearest shelter, when the answer gives its route. */
  function setAnswer(a) {
    layers.route.clearLayers();
    const first = Object.values(a?.shelters || {}).flat().filter((s) => s.route?.geometry)
      .sort((x, y) => (y.open - x.open) || (x.distance_m - y.distance_m))[0];
    if (first) {
      layers.route.addLayer(L.geoJSON(first.route.geometry, { style: () => ({ color: '#1a3d6b', weight: 6, opacity: 0.9, className: 'sonae-route' }) })
        .bindTooltip(first.route.words_ja || first.name));
    }
  }
  setAnswer(answer);

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
  function renderList() {
    list.replaceChildren();
    for (const [k, title] of [['shelters', '避難場所'], ['gauges', '水位観測所'], ['hazards', 'ハザードマップの区域（国土交通省）']]) {
      const h = document.createElement('h4');
      h.textContent = title;
      const ul = document.createElement('ul');
      for (const it of items[k]) {
        const li = document.createElement('li');
        const b = document.createElement('button');
        b.type = 'button';
        b.textContent = `${it.name}：${it.text}`;
        b.addEventListener('click', () => (it.bounds ? map.fitBounds(it.bounds, { animate: !reduced, maxZoom: 16 }) : map.setView([it.lat, it.lon], 16, { animate: !reduced })));
        li.append(b);
        ul.append(li);
      }
      list.append(h, ul);
    }
  }
  renderList();
  map.on('moveend', () => { loadHazards(); });
  await loadHazards();
  const api = { map, layers, items, setHome, setAnswer, L };
  window.sonaeMap = api;
  return api;
}
