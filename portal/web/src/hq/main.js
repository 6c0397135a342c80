/* The HQ dashboard (hq.html): the whole situation at a glance, live
 * through /api/v1/events, and the actions staff take.  Views: the desk
 * (default), ?view=wall (display token, read only, never a login page),
 * ?view=tablet (one column, large targets, for the field) and
 * ?view=device&device=ID (an installer's live view of one node). */
import '../style.css';
import '../hq.css';
import { levelName } from '../levels.js';
import { HttpError, get, post, setCsrf } from './api.js';
import { BAD_STATES, el, hhmm } from './util.js';
import { createMap, gaugeMarker, levelWords } from './map.js';
import * as P from './panels.js';
import { buildActions, shelterEditor } from './actions.js';

const params = new URLSearchParams(location.search);
const view = ['wall', 'tablet', 'device'].includes(params.get('view')) ? params.get('view') : 'desk';
document.body.classList.add(`view-${view}`);
const $ = (id) => document.getElementById(id);

const listeners = {};
const state = {
  me: null, stations: [], cameras: [], shelters: [], reports: [], watch: [], alerts: null, orders: [], notices: [],
  sources: [], devices: [], timeline: null, districts: [], withdrawnNotices: new Set(), updatedAt: null, clockSkew: 0,
  now() { return Date.now() + this.clockSkew; },
};
const series = new Map();
const hq = { state, announcements: [], audioPlays: 0, events: 0, view };
window.sonaeHq = hq;
let map = null;

/* ---- who is here ------------------------------------------------------- */
async function whoAmI() {
  try { return await get('/api/v1/auth/me'); } catch (e) { if (e instanceof HttpError && e.status === 401) return null; throw e; }
}

function showGate() {
  $('gate').hidden = false;
  const wall = view === 'wall';
  $('login').hidden = wall;
  $('display').hidden = !wall;
  $('gate-h').textContent = wall ? '表示端末の設定' : 'ログイン';
  (wall ? $('display-token') : $('login-name')).focus();
}

$('login').addEventListener('submit', async (e) => {
  e.preventDefault();
  try {
    await post('/api/v1/auth/login', { name: $('login-name').value, password: $('login-pw').value });
    $('login-pw').value = '';
    start();
  } catch (err) { $('login-msg').textContent = err.message; }
});
$('display').addEventListener('submit', async (e) => {
  e.preventDefault();
  try {
    await post('/api/v1/auth/display', { token: $('display-token').value });
    $('display-token').value = '';
    start();
  } catch (err) { $('display-msg').textContent = err.message; }
});
$('logout').addEventListener('click', async () => { try { await post('/api/v1/auth/logout', {}); } finally { location.reload(); } });

const canEdit = () => ['editor', 'admin'].includes(state.me?.role) && view !== 'wall';
const canShelter = (id) => canEdit() || (state.me?.role === 'shelter_operator' && state.me.shelters.includes(id));

/* ---- loading ------------------------------------------------------------ */
const loaders = {
  stations: async () => { state.stations = (await get('/api/v1/staff/stations')).features.map((f) => ({ ...f.properties, lon: f.geometry.coordinates[0], lat: f.geometry.coordinates[1] })); },
  cameras: async () => { state.cameras = (await get('/api/v1/cameras')).features; },
  shelters: async () => { state.shelters = (await get('/api/v1/shelters')).features; },
  reports: async () => { state.reports = (await get('/api/v1/reports')).reports; },
  watch: async () => { state.watch = (await get('/api/v1/watch-points')).watch_points; },
  alerts: async () => { state.alerts = await get('/api/v1/alerts'); },
  areas: async () => { try { state.areas = (await get('/api/v1/areas')).features; } catch { state.areas = []; } },
  orders: async () => { state.orders = (await get('/api/v1/orders')).orders; },
  notices: async () => { state.notices = (await get('/api/v1/notices')).notices; },
  sources: async () => {
    const s = await get('/api/v1/sources');
    state.sources = s.sources;
    if (s.now) state.clockSkew = new Date(s.now) - Date.now();
  },
  devices: async () => { state.devices = (await get('/api/v1/devices')).devices; },
  timeline: async () => { state.timeline = await get('/api/v1/timeline/stats'); },
  /* The districts (地区) by id: the picker's first list, real districts
   * only (the 大字・町 stand-ins have no id). */
  districts: async () => {
    state.districts = ((await get('/api/v1/addresses/districts')).districts || []).filter((d) => d.id).map((d) => ({ id: d.id, name: d.name, area_code: d.area_code }));
  },
};
/* What each loader redraws. */
const draws = {
  stations: () => {
    drawStations();
    P.renderWatch($('watch'), state, canEdit() ? deleteWatch : null, canEdit() ? (w) => ctx.editWatch?.(w) : null);
    P.renderHealth($('health'), state);
    if (view === 'device') drawDevice();
  },
  cameras: () => { P.renderCameras($('cameras'), state); drawCameras(); },
  shelters: () => { P.renderShelters($('shelters'), state, editShelter()); drawShelters(); },
  reports: () => { P.renderReports($('reports'), state, canEdit() ? setReport : null); drawReports(); },
  watch: () => { P.renderWatch($('watch'), state, canEdit() ? deleteWatch : null, canEdit() ? (w) => ctx.editWatch?.(w) : null); drawWatch(); },
  alerts: () => { P.renderAlerts($('alerts'), state); drawAreas(); },
  areas: () => drawAreas(),
  orders: () => { emit('orders'); },
  notices: () => emit('notices'),
  sources: () => P.renderFresh($('fresh'), state),
  devices: () => { P.renderHealth($('health'), state); if (view === 'device') drawDevice(); },
  timeline: () => P.renderTimeline($('timeline'), state),
  districts: () => { P.renderTimeline($('timeline'), state); emit('orders'); },
};
function emit(k) { for (const f of listeners[k] || []) f(); }

async function load(k) {
  try {
    await loaders[k]();
    state.updatedAt = new Date(state.now()).toISOString();
    draws[k]();
  } catch (e) {
    if (e instanceof HttpError && e.status === 401) { location.reload(); return; }
    console.warn(`load ${k}`, e);
  }
}

/* Refreshes coalesced: many events in a burst cause one fetch per kind. */
const pending = new Map();
function refresh(k, delay = 150) {
  if (pending.has(k)) return;
  pending.set(k, setTimeout(async () => { pending.delete(k); await load(k); if (k === 'orders') await load('alerts'); }, delay));
}

/* ---- drawing ------------------------------------------------------------ */
function drawStations() {
  const ids = P.renderGauges($('gauges').tBodies[0], state, series);
  P.renderRain($('rain'), state);
  fetchSeries(ids);
  if (!map) return;
  const gauges = state.stations.filter((p) => p.kind === 'gauge' || p.kind === 'sensor').map((p) => ({
    id: p.id, lat: p.lat, lon: p.lon, level: p.level, state: p.state, label: p.name, words: levelWords(p),
    html: gaugeMarker(p),
    popup: () => el('div', {}, el('strong', { text: p.name }), el('br'), `${p.river || ''} ${p.value == null ? '—' : `${p.value} m`}`, el('br'), levelWords(p), el('br'), `観測 ${hhmm(p.observed_at)}`),
  }));
  map.set('gauges', gauges);
  map.set('rain', state.stations.filter((p) => p.kind === 'rain').map((p) => ({
    id: p.id, lat: p.lat, lon: p.lon, state: p.state, label: p.name, words: BAD_STATES.includes(p.state) ? '古いデータ' : `${p.value ?? '—'} mm`,
    html: `<span class="hq-pt rain${BAD_STATES.includes(p.state) ? ' bad' : ''}">${BAD_STATES.includes(p.state) ? '?' : Math.round(p.value ?? 0)}</span>`,
  })));
}
function drawAreas() {
  if (!map || !state.areas || !state.alerts) return;
  map.setAreas(state.areas, new Map(state.alerts.areas.map((a) => [a.area_code, a])));
}
function drawCameras() {
  if (!map) return;
  map.set('cameras', state.cameras.map((f) => {
    const p = f.properties;
    const bad = p.frozen || BAD_STATES.includes(p.state);
    return { id: f.id, lat: f.geometry.coordinates[1], lon: f.geometry.coordinates[0], state: bad ? 'stale' : 'ok', label: p.name,
      words: p.frozen ? '画像が止まっている' : bad ? '古い画像' : '更新中', html: `<span class="hq-pt camera${bad ? ' bad' : ''}">映</span>` };
  }));
}
function drawShelters() {
  if (!map) return;
  map.set('shelters', state.shelters.map((f) => {
    const p = f.properties;
    return { id: f.id, lat: f.geometry.coordinates[1], lon: f.geometry.coordinates[0], label: p.name,
      words: `${p.open ? '開設中' : '未開設'}${p.occupancy != null ? ` ${p.occupancy}人` : ''}`,
      html: `<span class="hq-pt shelter ${p.open ? 'open' : 'closed'}">${p.open ? '開' : '避'}</span>` };
  }));
}
function drawReports() {
  if (!map) return;
  map.set('reports', state.reports.map((r) => ({ id: r.id, lat: r.lat, lon: r.lon, label: `報告${r.id} ${r.category}`, words: r.text,
    html: `<span class="hq-pt report s${r.severity} ${r.status}">報</span>` })));
}
function drawWatch() {
  if (!map) return;
  map.set('watch', state.watch.filter((w) => w.geometry?.type === 'Point').map((w) => ({ id: w.id, lat: w.geometry.coordinates[1], lon: w.geometry.coordinates[0], label: w.name, words: w.note || '',
    html: '<span class="hq-pt watch">重</span>' })));
}

let seriesBusy = false;
async function fetchSeries(ids) {
  if (seriesBusy) return;
  seriesBusy = true;
  const from = new Date(state.now() - 6 * 3600 * 1000).toISOString();
  try {
    await Promise.all(ids.map(async (id) => {
      try {
        const o = await get(`/api/v1/staff/stations/${id}/observations?from=${encodeURIComponent(from)}`);
        series.set(id, o.observations.map((x) => x.value));
      } catch { /* no series: no sparkline */ }
    }));
  } finally { seriesBusy = false; }
  P.renderGauges($('gauges').tBodies[0], state, series);
}

function editShelter() {
  const any = canEdit() || state.me?.role === 'shelter_operator';
  if (!any) return null;
  /* A shelter_operator gets the button only for their own shelters. */
  const open = (f) => {
    const li = document.querySelector(`#shelters li[data-shelter="${f.id}"]`);
    li.after(shelterEditor(f, ctx));
    li.nextSibling.querySelector('select').focus();
  };
  open.may = canShelter;
  return open;
}
async function setReport(r, change) {
  try { await post(`/api/v1/reports/${r.id}`, change); refresh('reports'); } catch (e) { announce(`報告を更新できませんでした：${e.message}`, false); }
}
async function deleteWatch(w) {
  try {
    const r = await fetch(`/api/v1/watch-points/${w.id}`, { method: 'DELETE', headers: { 'X-CSRF-Token': state.me.csrf } });
    if (!r.ok) throw new Error(String(r.status));
    refresh('watch');
  } catch (e) { announce(`削除できませんでした：${e.message}`, false); }
}

/* ---- announcements and sound -------------------------------------------- */
const AUDIO_KEY = 'sonae.hq.audio';
let audioCtx = null;
function audioOn() { return localStorage.getItem(AUDIO_KEY) === '1'; }
function setAudioButton() {
  const b = $('audio');
  b.setAttribute('aria-pressed', audioOn() ? 'true' : 'false');
  b.textContent = audioOn() ? '音声通知：有効（押すと無効）' : '音声通知を有効にする';
}
function ensureAudio() {
  if (!audioCtx) audioCtx = new (window.AudioContext || window.webkitAudioContext)();
  if (audioCtx.state === 'suspended') audioCtx.resume();
  return audioCtx;
}
$('audio').addEventListener('click', () => {
  localStorage.setItem(AUDIO_KEY, audioOn() ? '0' : '1');
  setAudioButton();
  if (audioOn()) chime(1);
});
/* After a reload the choice is kept, but the browser still wants one
 * gesture before sound: the first click or key anywhere unlocks it. */
for (const ev of ['pointerdown', 'keydown']) addEventListener(ev, () => { if (audioOn()) ensureAudio(); }, { once: true, capture: true });

function chime(times) {
  try {
    const ctxA = ensureAudio();
    for (let i = 0; i < times; i++) {
      const o = ctxA.createOscillator();
      const g = ctxA.createGain();
      const t = ctxA.currentTime + i * 0.45;
      o.frequency.value = i % 2 ? 660 : 880;
      g.gain.setValueAtTime(0.0001, t);
      g.gain.exponentialRampToValueAtTime(0.4, t + 0.02);
      g.gain.exponentialRampToValueAtTime(0.0001, t + 0.4);
      o.connect(g).connect(ctxA.destination);
      o.start(t);
      o.stop(t + 0.42);
    }
    hq.audioPlays++;
  } catch { /* no audio device */ }
}

function announce(text, loud = true, level = null) {
  const box = $('announce');
  box.replaceChildren(el('strong', { text }), el('button', { type: 'button', class: 'small', onclick: () => { box.hidden = true; } }, '確認した'));
  box.className = `announce${level ? ` l${level}` : ''}`;
  box.hidden = false;
  hq.announcements.push(text);
  if (loud && audioOn()) chime(level === 5 ? 3 : 2);
}

function change(text) {
  const ol = $('changes');
  ol.prepend(el('li', {}, el('span', { class: 'when', text: hhmm(new Date(state.now()).toISOString()) }), ` ${text}`));
  while (ol.children.length > 30) ol.lastChild.remove();
}

/* ---- live events --------------------------------------------------------- */
/* A large city's stations answer is megabytes: under heavy ingest it is
 * fetched at most once a second, a small one within 150 ms. */
const stationsDelay = () => (state.stations.length > 2000 ? 1000 : 150);
function stationName(id) { return state.stations.find((p) => p.id === id)?.name || `観測所 ${id}`; }
const LV = (l) => (l ? levelName(l) : 'なし');

function onEvent(type, ev) {
  hq.events++;
  const d = ev.data || {};
  switch (type) {
  case 'station.observations':
    refresh('stations', stationsDelay());
    /* The installer's view follows each reading of its node's station. */
    if (view === 'device' && d.station === deviceStation()) refresh('devices', 0);
    break;
  case 'station.level': {
    refresh('stations', stationsDelay());
    const name = stationName(d.station);
    change(`${name}：${LV(d.from)}相当 → ${LV(d.to)}相当`);
    if (d.to >= 4 && (d.from || 0) < d.to) announce(`${name} が${levelName(d.to)}相当に上昇しました`, true, d.to);
    break;
  }
  case 'station.state':
    refresh('stations', stationsDelay());
    if (BAD_STATES.includes(d.to)) change(`${stationName(d.station)}：データが${d.to === 'offline' ? '途絶' : '古くなりました'}`);
    break;
  case 'alert.changed':
    refresh('alerts');
    change(`気象庁の情報が更新されました：${d.area_name || areaName(d.area_code)}${ev.level ? `（${levelName(ev.level)}相当）` : ''}`);
    break;
  case 'area.level':
    /* One announcement per rise of an area to JMA's level 4 or 5. */
    refresh('alerts');
    change(`${areaName(d.area_code)}：${LV(d.from)}相当 → ${LV(d.to)}相当`);
    if (d.to >= 4 && (d.from || 0) < d.to) announce(`気象庁の情報：${areaName(d.area_code)} が${levelName(d.to)}相当になりました`, true, d.to);
    break;
  case 'order.issued':
    refresh('orders');
    change(`発令：${d.name_ja}（${levelName(d.level)}）${targetName(d)}`);
    announce(`${d.name_ja}（${levelName(d.level)}）を発令しました：${targetName(d)}`, true, d.level);
    break;
  case 'order.lifted': refresh('orders'); change(`解除：${d.name_ja || ''}（${levelName(d.level)}）`); break;
  case 'notice.published':
    if (d.withdrawn) state.withdrawnNotices.add(d.notice);
    refresh('notices');
    change(d.withdrawn ? 'お知らせが取り下げられました' : 'お知らせが公開されました');
    break;
  case 'shelter.updated': refresh('shelters'); change('避難所の状況が更新されました'); break;
  case 'report.created': refresh('reports'); change('被害報告が登録されました'); break;
  case 'report.updated': refresh('reports'); break;
  case 'camera.image': case 'camera.state': refresh('cameras', 1000); break;
  case 'device.health': refresh('devices'); break;
  case 'source.health': refresh('sources'); break;
  default: break;
  }
}
function areaName(code) { return state.alerts?.areas?.find((a) => a.area_code === code)?.area_name || code; }
function districtName(id) { return state.districts.find((x) => x.id === id)?.name || `地区 ${id}`; }
/* An order's target in words: its area, or its district. */
function targetName(o) { return o.area_code ? areaName(o.area_code) : o.district_id ? districtName(o.district_id) : ''; }
function deviceStation() { return state.devices.find((x) => x.device === params.get('device'))?.station_id; }

const TYPES = ['station.observations', 'station.level', 'station.state', 'alert.changed', 'area.level', 'order.issued', 'order.lifted', 'notice.published',
  'shelter.updated', 'report.created', 'report.updated', 'camera.image', 'camera.state', 'device.health', 'source.health'];
function connect() {
  const es = new EventSource('/api/v1/events');
  const conn = $('conn');
  es.onopen = () => { conn.textContent = 'リアルタイム接続中'; conn.className = 'conn ok'; };
  es.onerror = () => { conn.textContent = '接続が切れました（再接続中）— 表示が古い可能性があります'; conn.className = 'conn bad'; };
  for (const t of TYPES) {
    es.addEventListener(t, (m) => {
      let ev = {};
      try { ev = JSON.parse(m.data); } catch { return; }
      onEvent(t, ev);
    });
  }
  hq.stream = es;
}

/* ---- device view (installers) ------------------------------------------- */
function drawDevice() {
  const id = params.get('device');
  const box = $('device-body');
  const d = state.devices.find((x) => x.device === id);
  box.replaceChildren();
  if (!d) { box.append(el('p', { text: `機器 ${id || ''} は登録されていません（sonae device add）。` })); return; }
  const st = state.stations.find((p) => p.id === d.station_id);
  const rssi = d.rssi_dbm;
  const signal = rssi == null ? '不明' : rssi >= -85 ? '良好' : rssi >= -100 ? 'やや弱い' : '弱い（設置場所を見直す）';
  box.append(el('dl', { class: 'dev' },
    el('dt', { text: '機器' }), el('dd', { text: d.device }),
    el('dt', { text: '通信' }), el('dd', {}, d.health === 'online' ? el('span', { class: 'tag ok', text: 'オンライン' }) : el('span', { class: 'badge bad offline', text: d.health === 'offline' ? '通信途絶' : '不明' })),
    el('dt', { text: '電波' }), el('dd', { 'data-rssi': rssi ?? '', text: `${rssi ?? '—'} dBm（${signal}）` }),
    el('dt', { text: '電池' }), el('dd', { text: `${d.batt_v != null ? d.batt_v.toFixed(2) : '—'} V${d.batt_v != null && d.batt_v < 3.3 ? '（残量低下）' : ''}` }),
    el('dt', { text: '最終受信' }), el('dd', { text: hhmm(d.last_seen_at) }),
    el('dt', { text: '欠測' }), el('dd', { text: d.open_gaps ? `${d.open_gaps} 区間（${d.missing_readings} 件）` : 'なし' }),
    el('dt', { text: '最新の水位' }), el('dd', { class: 'big', 'data-value': st?.value ?? '' }, st ? `${st.value == null ? '—' : `${st.value.toFixed(3)} m`}（${hhmm(st.observed_at)}）` : '観測所が結び付いていません')));
}

/* ---- start ----------------------------------------------------------------- */
const ctx = {
  state,
  get map() { return map; },
  on(k, f) { (listeners[k] ||= []).push(f); },
  refresh,
  hint(on) { $('pick-hint').hidden = !on; },
};

async function start() {
  const me = await whoAmI();
  if (!me) { showGate(); return; }
  state.me = me;
  setCsrf(me.csrf);
  $('gate').hidden = true;
  $('board').hidden = false;
  $('who').textContent = me.role === 'display' ? `表示端末 ${me.name.replace(/^display:/, '')}` : `${me.name}（${{ viewer: '閲覧', editor: '編集', admin: '管理', shelter_operator: '避難所担当' }[me.role] || me.role}）`;
  $('logout').hidden = me.role === 'display';
  setAudioButton();
  let config = {};
  try { config = await get('/config.json'); } catch { /* defaults */ }
  map = await createMap({ el: $('map'), list: $('maplist'), layerBox: $('layers'), config });
  addEventListener('keydown', (e) => { if (e.key === 'Escape') { map.cancelPick(); ctx.hint(false); } });
  await Promise.all(Object.keys(loaders).map(load));
  /* Open on the city's stations unless the config names a view. */
  const pts = state.stations.filter((p) => p.kind !== 'camera').map((p) => [p.lat, p.lon]);
  if (!config.hqZoom && pts.length) map.map.fitBounds(pts, { padding: [20, 20], animate: false });
  if (canEdit()) buildActions($('actions-body'), ctx); else $('actions').hidden = true;
  emit('orders');
  emit('notices');
  if (view === 'device') { $('device').hidden = false; drawDevice(); }
  connect();
  /* Clocks and ages tick every second; a slow poll is the safety net
   * should the stream stay down. */
  const tick = () => {
    $('clock').textContent = new Date(state.now()).toLocaleTimeString('ja-JP', { timeZone: 'Asia/Tokyo' });
    P.renderFresh($('fresh'), state);
  };
  tick();
  setInterval(tick, 1000);
  setInterval(() => {
    if (hq.stream?.readyState !== 1) { load('stations'); load('alerts'); if (view === 'device') load('devices'); }
    load('sources');
  }, 60000);
  hq.ready = true;
}

start().catch((e) => { $('conn').textContent = `読み込めませんでした：${e.message}`; $('conn').className = 'conn bad'; });
