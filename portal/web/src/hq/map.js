/* The dashboard's map: Leaflet with a configurable base map (none needed:
 * every layer is drawn from the API).  Points are grouped on a pixel grid
 * at each zoom, so 10,000 stations draw as a few hundred markers; a group
 * takes the worst level of its members and says how many are stale, so a
 * cluster never hides danger or missing data.  Individual markers carry
 * their level as a digit (never colour alone). */
import L from 'leaflet';
import 'leaflet/dist/leaflet.css';
import { LEVELS, levelName } from '../levels.js';
import { BAD_STATES, STATE_JA, el } from './util.js';

const DEFAULT_TILES = { url: '', attribution: '', maxZoom: 18 };
const CELL = 64; /* px: the grid of the groups */

export const LAYERS = [
  ['areas', '地域の警戒レベル'],
  ['gauges', '水位・センサ'],
  ['rain', '雨量'],
  ['cameras', '河川カメラ'],
  ['shelters', '避難所'],
  ['reports', '被害報告'],
  ['watch', '重点確認箇所'],
];

function icon(p) {
  return L.divIcon({ className: '', html: p.html, iconSize: null, iconAnchor: [14, 14] });
}

/* The worst of a group: the highest level, else bad data, else safe. */
function worst(items) {
  let lv = 0;
  let bad = 0;
  for (const it of items) {
    if (it.level > lv) lv = it.level;
    if (BAD_STATES.includes(it.state)) bad++;
  }
  return { lv, bad };
}

export async function createMap({ el: box, list, layerBox, onPick, config }) {
  const tiles = { ...DEFAULT_TILES, ...(config.tiles || {}) };
  const reduced = matchMedia('(prefers-reduced-motion: reduce)').matches;
  const map = L.map(box, { zoomAnimation: !reduced, fadeAnimation: !reduced, markerZoomAnimation: !reduced, keyboard: true })
    .setView(config.center || [38.7275, 139.8268], config.hqZoom || 12);
  map.attributionControl.setPrefix(false);
  if (tiles.url) L.tileLayer(tiles.url, { attribution: tiles.attribution, maxZoom: tiles.maxZoom, crossOrigin: true }).addTo(map);
  map.attributionControl.addAttribution('気象庁・国土交通省（観測所・カメラ）・国土地理院（避難場所）');

  const data = Object.fromEntries(LAYERS.map(([k]) => [k, []]));
  const groups = Object.fromEntries(LAYERS.map(([k]) => [k, L.layerGroup().addTo(map)]));
  const shown = Object.fromEntries(LAYERS.map(([k]) => [k, true]));
  let picking = null;
  let lastRender = 0;

  for (const [k, name] of LAYERS) {
    const id = `layer-${k}`;
    const cb = el('input', { type: 'checkbox', id, checked: true });
    cb.addEventListener('change', () => {
      shown[k] = cb.checked;
      if (cb.checked) groups[k].addTo(map); else groups[k].remove();
      render();
    });
    layerBox.append(el('label', { for: id, class: 'layer' }, cb, ` ${name}`));
  }

  function single(k, p) {
    const m = L.marker([p.lat, p.lon], { icon: p.icon || (p.icon = icon(p)), keyboard: false, title: p.label });
    m.bindPopup(() => (p.popup ? p.popup() : el('div', {}, el('strong', { text: p.label }), p.words ? el('br') : null, p.words || '')));
    m.on('click', (e) => { if (picking) { L.DomEvent.stop(e); pick(map.mouseEventToLatLng(e.originalEvent)); } });
    groups[k].addLayer(m);
    return m;
  }

  function cluster(k, items, lat, lon) {
    const { lv, bad } = worst(items);
    const cls = lv ? `l${lv}` : bad === items.length ? 'bad' : 'none';
    const words = `${items.length}件${lv ? `（最高 ${levelName(lv)}）` : ''}${bad ? `・古い/途絶 ${bad}件` : ''}`;
    const html = `<span class="hq-cluster ${k} ${cls}${bad ? ' hasbad' : ''}" data-n="${items.length}" title="${words}">${items.length}件</span>`;
    const m = L.marker([lat, lon], { icon: L.divIcon({ className: '', html, iconSize: null, iconAnchor: [18, 18] }), keyboard: false, title: words });
    m.on('click', (e) => {
      if (picking) pick(map.mouseEventToLatLng(e.originalEvent));
      else map.setView([lat, lon], Math.min(map.getZoom() + 2, 18), { animate: !reduced });
    });
    groups[k].addLayer(m);
  }

  function render() {
    const t0 = performance.now();
    const b = map.getBounds().pad(0.25);
    const [s0, w0, n0, e0] = [b.getSouth(), b.getWest(), b.getNorth(), b.getEast()];
    const z = map.getZoom();
    for (const [k] of LAYERS) {
      if (k === 'areas') continue;
      groups[k].clearLayers();
      if (!shown[k]) continue;
      const inView = data[k].filter((p) => p.lat >= s0 && p.lat <= n0 && p.lon >= w0 && p.lon <= e0);
      /* Points sharing a cell of the pixel grid become one group, drawn
       * at the cell's centre so groups never overlap each other. */
      const cells = new Map();
      for (const p of inView) {
        const pt = map.project([p.lat, p.lon], z);
        const cx = Math.floor(pt.x / CELL);
        const cy = Math.floor(pt.y / CELL);
        const key = `${cx}:${cy}`;
        let c = cells.get(key);
        if (!c) { c = { cx, cy, items: [] }; cells.set(key, c); }
        c.items.push(p);
      }
      for (const c of cells.values()) {
        if (c.items.length === 1) { single(k, c.items[0]); continue; }
        const ll = map.unproject([(c.cx + 0.5) * CELL, (c.cy + 0.5) * CELL], z);
        cluster(k, c.items, ll.lat, ll.lng);
      }
    }
    lastRender = performance.now() - t0;
  }
  map.on('moveend', render);

  function pick(latlng) {
    const cb = picking;
    picking = null;
    box.classList.remove('picking');
    cb(latlng.lat, latlng.lng);
  }
  map.on('click', (e) => { if (picking) pick(e.latlng); else if (onPick) onPick(e.latlng.lat, e.latlng.lng); });

  /* The same content as lists of buttons (the most severe first, at most
   * 200 per layer: the table and panels hold the rest). */
  function renderList() {
    list.replaceChildren();
    for (const [k, name] of LAYERS) {
      const items = data[k];
      if (!items.length) continue;
      const ul = el('ul', { class: 'maplist-items', 'data-layer': k });
      for (const p of items.slice(0, 200)) {
        ul.append(el('li', {}, el('button', {
          type: 'button',
          onclick: () => { map.setView([p.lat, p.lon], 16, { animate: !reduced }); },
        }, `${p.label}：${p.words || ''}`)));
      }
      list.append(el('h3', { text: `${name}（${items.length}件）` }), ul);
      if (items.length > 200) list.append(el('p', { text: `ほか ${items.length - 200} 件は右の一覧で確認できます。` }));
    }
  }

  /* Areas: the fill is JMA's and the rivers' 相当 level (translucent), the
   * thick outline the city's order; the label writes both. */
  const legend = L.control({ position: 'bottomleft' });
  legend.onAdd = () => el('div', { class: 'hq-legend' }, el('strong', { text: '地域' }), el('br'), '塗り：気象庁・河川の「相当」', el('br'), '太い枠：市の発令');
  legend.addTo(map);
  function setAreas(features, status) {
    groups.areas.clearLayers();
    data.areas = [];
    for (const f of features) {
      const a = status.get(f.properties.area_code) || {};
      const lv = LEVELS[a.level];
      const ord = a.order && LEVELS[a.order.level];
      const words = `${f.properties.area_name}　発令：${a.order ? `${a.order.name_ja}（${levelName(a.order.level)}）` : 'なし'}　相当：${a.level ? levelName(a.level) : 'なし'}`;
      const layer = L.geoJSON(f, {
        interactive: true,
        style: () => ({
          className: `hq-area${a.level ? ` l${a.level}` : ''}${a.order ? ` order l${a.order.level}o` : ''}`,
          fillColor: lv ? lv.fill : '#ffffff', fillOpacity: lv ? 0.22 : 0,
          color: ord ? ord.fill : '#1a3d6b', weight: ord ? 7 : 2, opacity: 1, dashArray: ord ? null : '6 4',
        }),
      }).bindTooltip(words, { sticky: true });
      layer.on('click', (e) => { if (picking) { L.DomEvent.stop(e); pick(e.latlng); } });
      groups.areas.addLayer(layer);
      const c = layer.getBounds().getCenter();
      data.areas.push({ lat: c.lat, lon: c.lng, label: f.properties.area_name, words: words.replace(/^\S+\s/, ''), level: a.level, order: a.order });
    }
    renderList();
  }

  const api = {
    setAreas,
    map,
    L,
    data,
    set(k, items) { data[k] = items; render(); renderList(); },
    render,
    get renderMs() { return lastRender; },
    /* Next click on the map gives a place to cb (for a field report). */
    pickPlace(cb) { picking = cb; box.classList.add('picking'); },
    cancelPick() { picking = null; box.classList.remove('picking'); },
    focus(lat, lon) { map.setView([lat, lon], 16, { animate: !reduced }); },
  };
  window.sonaeHqMap = api;
  return api;
}

/* Marker HTML per kind.  The level digit or a mark is always written. */
const ZEN = ['', '1', '2', '3', '4', '5'];
export function gaugeMarker(p) {
  const bad = BAD_STATES.includes(p.state);
  const cls = bad ? `bad ${p.state}` : p.level ? `l${p.level}` : p.state === 'watch' ? 'watch' : 'none';
  const mark = bad ? '?' : p.level ? ZEN[p.level] : p.state === 'watch' ? '観' : '–';
  const shape = p.kind === 'sensor' ? 'sensor' : 'gauge';
  return `<span class="hq-pt ${shape} ${cls}" data-id="${p.id}" data-state="${p.state}">${mark}</span>`;
}

export function levelWords(p) {
  if (BAD_STATES.includes(p.state)) return `${STATE_JA[p.state]}（安全とは限りません）`;
  if (p.level) return `${levelName(p.level)}相当`;
  return STATE_JA[p.state] || '基準以下';
}
