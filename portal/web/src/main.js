/* The residents' page: the answer first (text, no WebGL), the map only on
 * demand, the plan on the device, and the last answer kept for offline.
 * Polls /api/v1/status; never holds an event stream. */
import './style.css';
import { T, PRESETS } from './i18n.js';
import { LEVELS, levelName, badge, direction } from './levels.js';

const $ = (id) => document.getElementById(id);
const KEY = { lang: 'sonae.lang', home: 'sonae.home', answer: 'sonae.answer', status: 'sonae.status', plan: 'sonae.plan', token: 'sonae.token' };
const POLL_MS = 60000;
const WALK_M_PER_MIN = 60; /* a slow pace: many residents are elderly */

const state = {
  lang: localStorage.getItem(KEY.lang) || 'ja',
  home: load(KEY.home), answer: load(KEY.answer), status: load(KEY.status),
  plan: load(KEY.plan) || { levels: {} }, proxy: false, proxyPlan: null,
  levelNow: null, offline: false, map: null,
};
window.sonae = state; /* for the browser tests and for curious helpers */
window.sonaePoll = () => poll();

function load(k) {
  try { return JSON.parse(localStorage.getItem(k)); } catch { return null; }
}
function keep(k, v) {
  if (state.proxy && (k === KEY.home || k === KEY.answer || k === KEY.plan)) return;
  try { localStorage.setItem(k, JSON.stringify(v)); } catch { /* full or private mode: the page still works */ }
}
const t = (k, ...a) => { const v = T[state.lang][k] ?? T.ja[k]; return typeof v === 'function' ? v(...a) : v; };
const el = (tag, cls, text) => { const e = document.createElement(tag); if (cls) e.className = cls; if (text != null) e.textContent = text; return e; };

/* The service worker answers from its cache when the network fails and
 * says so with X-Sonae-Cached-At (ms): the page then shows the data's age. */
async function getJSON(url, meta) {
  const r = await fetch(url, { cache: 'no-cache', headers: { Accept: 'application/json' } });
  if (!r.ok) throw new Error(`${url}: ${r.status}`);
  const cached = +r.headers.get('X-Sonae-Cached-At');
  if (meta) { meta.at = cached || Date.now(); meta.offline = !!cached; }
  return r.json();
}

/* ---- words ---------------------------------------------------------------- */

function applyLang() {
  document.documentElement.lang = state.lang === 'en' ? 'en' : 'ja';
  for (const e of document.querySelectorAll('[data-t]')) e.textContent = t(e.dataset.t);
  for (const b of document.querySelectorAll('[data-lang]')) b.setAttribute('aria-pressed', String(b.dataset.lang === state.lang));
  document.title = t('title');
  render();
  renderServer();
}

/* 「3.0m以上5.0m未満」 → 「3〜5m」; other labels unchanged. */
function depthWords(label) {
  const m = /^([\d.]+)m以上([\d.]+)m未満$/.exec(label || '');
  if (m) return `${+m[1]}〜${+m[2]}m`;
  const lo = /^([\d.]+)m以上$/.exec(label || '');
  if (lo) return `${+lo[1]}m以上`;
  const hi = /^([\d.]+)m未満$/.exec(label || '');
  if (hi) return `${+hi[1]}m未満`;
  return label;
}
/* What the hazard means for the house, in a sentence. */
function hazardMeaning(h) {
  const m = t('meaning');
  const layer = h.layer || '';
  if (layer.startsWith('A31')) {
    const r = +h.class;
    return r >= 5 ? m.d5 : r === 4 ? m.d4 : r === 3 ? m.d3 : r === 2 ? m.d2 : r === 1 ? m.d1 : null;
  }
  if (layer.startsWith('A33')) return h.class === 'red' ? m.red : h.class === 'yellow' ? m.yellow : null;
  return null;
}
function hazardWords(h) {
  const layer = h.layer || '';
  if (layer.startsWith('A31_flood_max')) return t('floodMax', depthWords(h.label_ja));
  if (layer.startsWith('A31_flood_plan')) return t('floodPlan', depthWords(h.label_ja));
  if (layer.startsWith('A33')) return t('landslide', h.label_ja);
  return t('other', h.title || layer, h.label_ja);
}

/* ---- the levels: the city's order and JMA/rivers, never merged ----------- */

/* During a drill an area has two rows: the drill's (exercise) and the real
 * one.  The levels shown are the drill's, marked 訓練; the real row is
 * shown on its own line (realArea), never merged into the drill's. */
function areaOf(status, code, exercise) {
  if (!status || !Array.isArray(status.areas)) return null;
  const rows = status.areas.filter((a) => a.area_code === code);
  if (exercise === undefined) return rows.find((a) => a.exercise) || rows[0] || null;
  return rows.find((a) => !!a.exercise === exercise) || null;
}
function realArea() {
  const codes = state.answer?.areas || [];
  for (const c of codes) {
    if (!areaOf(state.status, c, true)) continue;
    const r = areaOf(state.status, c, false);
    if (r && r.level) return r;
  }
  return null;
}
function homeArea() {
  const codes = state.answer?.areas || [];
  for (const c of codes) { const a = areaOf(state.status, c); if (a) return a; }
  return null;
}
/* The city's order for home: of the area as a whole or of the home's own
 * district, never another district's.  Without a known district the hazard
 * answer's city_order (worked out for the point) stands for the district
 * orders. */
function homeOrder(a, lif) {
  const fromAnswer = lif.city_order ? { level: lif.city_order, name_ja: state.answer.order_name_ja || LEVELS[lif.city_order]?.order } : null;
  if (!a || !Array.isArray(a.orders)) return a?.order?.level ? a.order : fromAnswer;
  const d = state.home?.district_id;
  const known = Number.isInteger(d) && d > 0;
  const mine = a.orders.filter((o) => o.level && (o.district_id == null || (known && o.district_id === d)));
  let best = mine[0] || null;
  if (!known && fromAnswer && (!best || fromAnswer.level > best.level)) best = fromAnswer;
  return best;
}
function levels() {
  const a = homeArea();
  const lif = state.answer?.level_in_force || {};
  const order = homeOrder(a, lif);
  const jma = Math.max(a?.level || 0, lif.jma || 0, lif.river || 0) || null;
  const kinds = (a?.kinds || []).filter((k) => k.level && k.level >= 2).sort((x, y) => y.level - x.level).map((k) => k.name);
  if (lif.river && lif.river >= (a?.level || lif.jma || 0)) kinds.unshift(t('riverWord'));
  return { area: a, city: a?.area_name || state.answer?.area_name || '市', order, jma, kinds };
}

function renderLevels() {
  const box = $('levels');
  box.replaceChildren();
  const L = levels();
  if (!state.answer && !state.status) { box.append(el('p', 'peace', t('peace'))); return; }
  if (!L.order && !L.jma) {
    box.append(el('p', 'peace', t('peace')));
  } else {
    const city = el('p', 'line city');
    city.dataset.line = 'city';
    if (L.order) {
      city.append(badge(L.order.level, LEVELS[L.order.level]?.order || ''), ' ', el('span', null, t('cityOrdered', L.city, L.order.name_ja, levelName(L.order.level))));
    } else city.append(el('span', null, t('cityNone', L.city)));
    const jma = el('p', 'line jma');
    jma.dataset.line = 'jma';
    if (L.jma) jma.append(badge(L.jma, '相当'), ' ', el('span', null, t('jmaLine', levelName(L.jma), L.kinds.slice(0, 3).join('・'))));
    else jma.append(el('span', null, t('jmaNone')));
    box.append(city, jma);
    const real = realArea();
    if (real) {
      const kinds = (real.kinds || []).filter((k) => k.level).map((k) => k.name).slice(0, 3).join('・');
      const r = el('p', 'line real');
      r.dataset.line = 'real';
      r.append(badge(real.level, '相当'), ' ', el('span', null, t('realLine', levelName(real.level), kinds)));
      box.append(r);
    }
    const now = Math.max(L.order?.level || 0, L.jma || 0);
    if (LEVELS[now]) box.append(el('p', 'action', state.lang === 'easy' ? LEVELS[now].easy : state.lang === 'en' ? LEVELS[now].en : LEVELS[now].action));
  }
  const n = $('notices');
  n.replaceChildren();
  for (const x of (state.status?.notices || []).filter((x) => !state.answer || (state.answer.areas || []).includes(x.area_code))) {
    const d = el('div', 'notice');
    d.append(el('strong', null, x.title_ja), el('p', null, x.text_ja || ''));
    n.append(d);
  }
  $('exercise').hidden = !(state.status?.exercise_mode || L.area?.exercise || state.answer?.exercise);
}

/* ---- hazards and shelters ---------------------------------------------------- */

function renderAnswer() {
  const a = state.answer;
  /* The no-JavaScript page of the home's area (the JMA code, not the point). */
  $('litelink').href = a?.areas?.[0] ? `/lite?area=${encodeURIComponent(a.areas[0])}` : '/lite';
  $('home').textContent = state.home ? t('home', state.home.label) : '';
  const hz = $('hazards');
  hz.replaceChildren();
  if (!a) { hz.append(el('li', null, t('noHome'))); }
  else if (!a.hazards?.length) hz.append(el('li', null, t('noHazard')));
  else {
    for (const h of a.hazards) {
      const li = el('li', 'hz', hazardWords(h));
      const mean = hazardMeaning(h);
      if (mean) li.append(el('span', 'meaning', mean));
      hz.append(li);
    }
  }
  if (a?.note_ja) hz.append(el('li', 'note', a.note_ja));

  const ol = $('shelters');
  ol.replaceChildren();
  if (!a) return;
  const groups = Object.entries(a.shelters || {});
  if (!groups.length) { ol.append(el('li', null, t('noShelter'))); return; }
  const fh = t('forHazard');
  for (const [hazard, list] of groups) {
    const g = el('li', 'group');
    g.append(el('h4', null, fh[hazard] || hazard));
    const ul = el('ul');
    for (const s of [...list].sort((x, y) => (y.open - x.open) || (x.distance_m - y.distance_m))) {
      const li = el('li', s.open ? 'shelter open' : 'shelter');
      li.tabIndex = 0;
      const head = el('div', 'sh-head');
      head.append(el('span', s.open ? 'tag open' : 'tag closed', s.open ? t('open') : t('closed')), ' ', el('strong', null, s.name));
      const dist = t('km', s.route?.distance_m || s.distance_m);
      const walk = t('walk', walkMin(s));
      const way = s.route?.words_ja || (direction(s.bearing_deg, state.lang) ? t('way', direction(s.bearing_deg, state.lang), dist) : dist);
      li.append(head, el('p', 'sh-dist', `${dist}・${walk}`), el('p', 'sh-way', way));
      ul.append(li);
    }
    g.append(ul);
    ol.append(g);
  }
}

/* Walking minutes: the route's own time when the answer gives one, else
 * 1.3 × the straight distance at a slow pace. */
function walkMin(s) {
  if (s.route?.walk_s) return Math.max(1, Math.ceil(s.route.walk_s / 60));
  return Math.max(1, Math.ceil((s.route?.distance_m || s.distance_m * 1.3) / WALK_M_PER_MIN));
}

/* Today's river levels near home: stale, offline and unknown gauges are
 * said to be so, never shown as safe. */
async function loadRivers() {
  if (!state.home) return;
  const d = 0.04;
  const { lat, lon } = state.home;
  try {
    /* Every gauge, chosen here: a box around home in the query would tell
     * the server (and its log) where home is. */
    const j = await getJSON('/api/v1/stations?kind=gauge');
    const near = (j.features || []).filter((f) => f.geometry && Math.abs(f.geometry.coordinates[0] - lon) <= d && Math.abs(f.geometry.coordinates[1] - lat) <= d).map((f) => ({ ...f.properties, dist: Math.hypot((f.geometry.coordinates[0] - lon) * 87000, (f.geometry.coordinates[1] - lat) * 111000) }))
      .sort((x, y) => x.dist - y.dist).slice(0, 5);
    state.rivers = near;
  } catch { /* keep what we had */ }
  renderRivers();
}
function renderRivers() {
  const ul = $('rivers');
  ul.replaceChildren();
  if (!state.home) return;
  if (!state.rivers?.length) { ul.append(el('li', null, t('noRivers'))); return; }
  const sw = t('stateWords');
  for (const r of state.rivers) {
    const li = el('li', 'river');
    li.append(el('strong', null, `${r.river ? `${r.river} ` : ''}${r.name}`), ' ');
    if (r.value != null) li.append(`${r.value.toFixed(2)}${r.unit || 'm'} `);
    if (['stale', 'offline', 'unknown'].includes(r.state)) li.append(el('span', 'tag bad', sw[r.state]));
    else if (r.level) li.append(badge(r.level, '相当'));
    else li.append(el('span', null, sw[r.state] || t('below')));
    if (r.observed_at) li.append(' ', el('small', null, t('obsAt', new Date(r.observed_at).toLocaleString(state.lang === 'en' ? 'en-GB' : 'ja-JP', { month: 'numeric', day: 'numeric', hour: '2-digit', minute: '2-digit' }))));
    ul.append(li);
  }
}

function renderAge() {
  const at = state.answerAt || state.statusAt;
  const box = $('age');
  if (!at) { box.textContent = ''; return; }
  const d = new Date(at);
  const when = d.toLocaleString(state.lang === 'en' ? 'en-GB' : 'ja-JP', { month: 'numeric', day: 'numeric', hour: '2-digit', minute: '2-digit' });
  const ago = t('ago', Math.floor((Date.now() - at) / 60000));
  box.textContent = t('age', when, ago);
  const off = $('offline');
  off.hidden = !state.offline;
  if (state.offline) off.textContent = t('offline', ago);
}

/* ---- the plan (マイ・タイムライン) ---------------------------------------- */

function plan() { return state.proxy ? state.proxyPlan : state.plan; }

function levelNow() {
  const L = levels();
  return Math.max(L.order?.level || 0, L.jma || 0) || null;
}

function renderPlan() {
  const rows = $('rows');
  rows.replaceChildren();
  const p = plan();
  const now = levelNow();
  const order = [5, 4, 3, 2, 1];
  if (now) order.sort((a, b) => (b === now) - (a === now));
  for (const l of order) {
    const lp = (p.levels[l] ||= { presets: [], own: [] });
    const fs = el('fieldset', `lv lv${l}${l === now ? ' now' : ''}`);
    fs.dataset.level = l;
    const lg = el('legend');
    lg.append(badge(l, LEVELS[l].order || LEVELS[l].action));
    if (l === now) lg.append(' ', el('span', 'nowtag', t('nowLevel')));
    fs.append(lg);
    if (l === 5) fs.append(el('p', 'small', t('l5only')));
    PRESETS[state.lang][l].forEach((text, i) => {
      const lab = el('label', 'act');
      const cb = el('input');
      cb.type = 'checkbox';
      cb.checked = lp.presets.includes(i);
      cb.addEventListener('change', () => {
        lp.presets = cb.checked ? [...new Set([...lp.presets, i])].sort() : lp.presets.filter((x) => x !== i);
      });
      lab.append(cb, ' ', text);
      fs.append(lab);
    });
    if (l !== 5) {
      for (const [i, text] of lp.own.entries()) {
        const lab = el('label', 'act own');
        const cb = el('input');
        cb.type = 'checkbox';
        cb.checked = true;
        cb.addEventListener('change', () => { lp.own.splice(i, 1); renderPlan(); });
        lab.append(cb, ' ', text);
        fs.append(lab);
      }
      const id = `own${l}`;
      const lab = el('label', 'small', t('addOwn'));
      lab.htmlFor = id;
      const inp = el('input');
      inp.id = id;
      inp.maxLength = 60;
      const add = el('button', null, t('addBtn'));
      add.type = 'button';
      add.addEventListener('click', () => { const v = inp.value.trim(); if (v) { lp.own.push(v); renderPlan(); $(id).focus(); } });
      const r = el('div', 'row');
      r.append(inp, add);
      fs.append(lab, r);
    }
    rows.append(fs);
  }
}

function savePlan() {
  const p = plan();
  p.saved_at = Date.now();
  if (state.proxy) { p.name = $('pname').value.trim(); $('saved').textContent = t('proxyNotSaved'); return; }
  if (state.home) p.home = state.home;
  keep(KEY.plan, p);
  $('saved').textContent = t('saved');
  renderPush();
}

/* ---- the plan on the server, under a private token ------------------------ */

/* The token: 32 random bytes as 43 characters of base64url, made on this
 * device and sent only in the X-Timeline-Token header, never in a URL.  A
 * proxy's token lives in memory only: it is printed for the person, not
 * kept on the helper's device. */
function newToken() {
  const b = crypto.getRandomValues(new Uint8Array(32));
  return btoa(String.fromCharCode(...b)).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}
const TOKEN_RE = /^[A-Za-z0-9_-]{43}$/;
function server() { return state.proxy ? state.proxyServer : (state.server ||= load(KEY.token)); }
function keepServer(v) {
  if (state.proxy) { state.proxyServer = v; return; }
  state.server = v;
  if (v) keep(KEY.token, v); else localStorage.removeItem(KEY.token);
}
async function timeline(method, token, body) {
  return fetch('/api/v1/timeline', {
    method, cache: 'no-store',
    headers: { 'X-Timeline-Token': token, Accept: 'application/json', ...(body ? { 'Content-Type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
}
/* What the server keeps (encrypted): the plan as the page holds it, and the
 * chosen actions in words per level, which the server counts per level. */
function planBody(p) {
  const actions = {};
  for (const l of [1, 2, 3, 4, 5]) {
    const lp = p.levels[l] || { presets: [], own: [] };
    actions[l] = [...lp.presets.map((i) => PRESETS.ja[l][i]), ...(lp.own || [])];
  }
  return { v: 1, name: p.name || '', home: p.home || (state.proxy ? null : state.home) || null, levels: p.levels, actions };
}
/* The PUT body: the plan and, when the home's district is known (the
 * picker or the address search), its id for the staff's counts. */
function saveBody(consent, p) {
  const home = p.home || (state.proxy ? null : state.home);
  const d = home?.district_id;
  return { consent, plan: planBody(p), ...(Number.isInteger(d) && d > 0 ? { district_id: d } : {}) };
}
function renderServer() {
  const s = server();
  $('srvqr').hidden = !s;
  $('srvdel').hidden = !s;
  $('tokenqr').hidden = true;
  document.querySelector('[data-t=deviceOnly]').textContent = s && !state.proxy ? t('deviceAndServer') : t('deviceOnly');
  renderPush();
}
async function askConsent() {
  let c;
  try { c = await getJSON('/api/v1/timeline/consent'); } catch { return null; }
  $('consent-text').textContent = c.text_ja;
  $('consent').hidden = false;
  $('agree').focus();
  return new Promise((resolve) => {
    const done = (ok) => { $('consent').hidden = true; $('agree').onclick = null; $('disagree').onclick = null; resolve(ok ? c.version : null); };
    $('agree').onclick = () => done(true);
    $('disagree').onclick = () => done(false);
  });
}
async function saveServer() {
  savePlan();
  const msg = $('srvmsg');
  let s = server();
  let consent = s?.consent;
  for (let tries = 0; tries < 2; tries++) {
    if (!consent) {
      consent = await askConsent();
      if (!consent) { msg.textContent = t('srvNotAgreed'); return; }
    }
    const token = s?.token || newToken();
    let r;
    try { r = await timeline('PUT', token, saveBody(consent, plan())); } catch { r = null; }
    if (r?.status === 428) { consent = null; continue; } /* the consent text has changed: ask again */
    if (!r?.ok) { msg.textContent = t('srvFailed'); return; }
    s = { token, consent, saved_at: Date.now() };
    keepServer(s);
    renderServer();
    msg.textContent = t('srvSaved');
    return;
  }
}
async function showTokenQr() {
  const s = server();
  if (!s) return;
  const box = $('tokenqr');
  const { default: qrcode } = await import('qrcode-generator');
  box.replaceChildren();
  box.append(qrSvg(qrcode, s.token), el('p', 'small', t('tokQr')), el('code', 'token', s.token));
  box.hidden = false;
}
function qrSvg(qrcode, text) {
  const qr = qrcode(0, 'L');
  qr.addData(text);
  qr.make();
  const q = el('div', 'qr');
  q.innerHTML = qr.createSvgTag({ cellSize: 3, margin: 2, scalable: true });
  return q;
}
async function loadServer(e) {
  e.preventDefault();
  const token = $('tok').value.trim();
  const msg = $('srvmsg');
  if (!TOKEN_RE.test(token)) { msg.textContent = t('srvBadToken'); return; }
  let r;
  try { r = await timeline('GET', token); } catch { r = null; }
  if (r?.status === 404) { msg.textContent = t('srvNoPlan'); return; }
  if (!r?.ok) { msg.textContent = t('srvFailed'); return; }
  const { plan: sp } = await r.json();
  const p = { levels: sp.levels || {}, name: sp.name || '', home: sp.home || null, saved_at: Date.now() };
  $('tok').value = '';
  if (state.proxy) state.proxyPlan = p;
  else {
    state.plan = p;
    keep(KEY.plan, p);
    if (p.home) { state.home = p.home; keep(KEY.home, p.home); refreshAnswer(); }
  }
  /* Later saves on this device go to the same plan; the consent was given
   * when it was first saved. */
  keepServer({ token, consent: server()?.consent || null, saved_at: Date.now() });
  renderPlan();
  renderServer();
  msg.textContent = t('srvLoaded');
}
async function deleteServer() {
  const s = server();
  if (!s) return;
  let r;
  try { r = await timeline('DELETE', s.token); } catch { r = null; }
  if (!r || (!r.ok && r.status !== 404)) { $('srvmsg').textContent = t('srvDelFailed'); return; }
  keepServer(null);
  renderServer();
  $('srvmsg').textContent = t('srvDeleted');
}

/* The plan travels to another phone in the link's fragment (never sent to
 * the server): #plan=<base64url of the JSON>. */
function planLink(p) {
  const compact = { v: 1, n: p.name || '', h: p.home || state.home || null, l: p.levels };
  const b = btoa(String.fromCharCode(...new TextEncoder().encode(JSON.stringify(compact))));
  return `${location.origin}/#plan=${b.replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '')}`;
}
function planFromLink() {
  const m = /#plan=([A-Za-z0-9_-]+)/.exec(location.hash);
  if (!m) return;
  try {
    const s = atob(m[1].replace(/-/g, '+').replace(/_/g, '/'));
    const c = JSON.parse(new TextDecoder().decode(Uint8Array.from(s, (ch) => ch.charCodeAt(0))));
    state.plan = { levels: c.l || {}, name: c.n || '', home: c.h || null, saved_at: Date.now() };
    if (c.h && !state.home) { state.home = c.h; keep(KEY.home, c.h); }
    keep(KEY.plan, state.plan);
    history.replaceState(null, '', location.pathname);
  } catch { /* a damaged link changes nothing */ }
}

async function printPlan() {
  savePlan();
  const p = plan();
  const pv = $('printview');
  pv.replaceChildren();
  pv.append(el('h1', null, t('printTitle')));
  if (p.name) pv.append(el('p', 'big', t('printFor', p.name)));
  const home = state.home;
  if (home) pv.append(el('p', 'big', t('home', home.label)));
  const L = levels();
  if (state.answer?.hazards?.length) {
    const ul = el('ul');
    for (const h of state.answer.hazards) ul.append(el('li', null, hazardWords(h)));
    pv.append(ul);
  }
  const first = Object.values(state.answer?.shelters || {}).flat().sort((x, y) => (y.open - x.open) || (x.distance_m - y.distance_m))[0];
  if (first) {
    const dir = direction(first.bearing_deg, state.lang);
    pv.append(el('p', 'big', `${t('shelterTo')}：${first.name}（${t('km', first.route?.distance_m || first.distance_m)}・${t('walk', walkMin(first))}）`));
    pv.append(el('p', null, first.route?.words_ja || (dir ? t('way', dir, t('km', first.distance_m)) : '')));
  }
  pv.append(el('p', 'must', t('must')));
  const tbl = el('table');
  for (const l of [5, 4, 3, 2, 1]) {
    const lp = p.levels[l] || { presets: [], own: [] };
    const acts = [...lp.presets.map((i) => PRESETS[state.lang][l][i]), ...(lp.own || [])];
    const tr = el('tr');
    const th = el('th');
    th.append(badge(l));
    tr.append(th, el('td', null, acts.join('／') || '—'));
    tbl.append(tr);
  }
  pv.append(tbl);
  const { default: qrcode } = await import('qrcode-generator');
  /* On the server: the QR code holds the token itself (no URL); otherwise
   * a link with the plan in its fragment. */
  const s = server();
  const q = qrSvg(qrcode, s ? s.token : planLink(p));
  q.append(el('p', 'small', s ? t('printTokQr') : t('printQr')));
  pv.append(q);
  pv.append(el('p', 'small', t('attrib')));
  if (s) { delete pv.dataset.link; pv.dataset.token = 'yes'; } else { pv.dataset.link = planLink(p); delete pv.dataset.token; }
  document.body.classList.add('printing');
  if (!window.__noPrintDialog) window.print();
}
window.addEventListener('afterprint', () => document.body.classList.remove('printing'));

/* ---- finding home ---------------------------------------------------------- */

/* The address API's answer as a list of {label, lat, lon}, whatever the
 * wrapping (array, {addresses}, {items}, GeoJSON). */
function places(j) {
  const arr = Array.isArray(j) ? j : j.addresses || j.items || j.towns || j.results || j.features || [];
  return arr.map((x) => {
    const p = x.properties ? { ...x.properties } : { ...x };
    if (x.geometry?.coordinates) [p.lon, p.lat] = x.geometry.coordinates;
    p.label ||= p.name || [p.pref, p.city, p.town].filter(Boolean).join('');
    return p;
  }).filter((p) => Number.isFinite(+p.lat) && Number.isFinite(+p.lon));
}

/* Home as the page keeps it: the place and, when the address API gives one,
 * its district's id (sent with server saves so the staff's counts per
 * district include the plan; never the point itself). */
function placeHome(p) {
  const h = { label: p.label, lat: +p.lat, lon: +p.lon };
  if (Number.isInteger(p.district_id) && p.district_id > 0) h.district_id = p.district_id;
  return h;
}

let composing = false;
let searchTimer = 0;
async function search(q) {
  q = q.trim();
  const ul = $('results');
  if (!q) { ul.replaceChildren(); return; }
  ul.replaceChildren(el('li', null, t('searching')));
  try {
    const list = places(await getJSON(`/api/v1/addresses?q=${encodeURIComponent(q)}`));
    ul.replaceChildren();
    if (!list.length) ul.append(el('li', null, t('noResult')));
    for (const p of list.slice(0, 10)) {
      const li = el('li');
      const b = el('button', 'pick', p.label);
      b.type = 'button';
      b.addEventListener('click', () => { ul.replaceChildren(); setHome(placeHome(p)); });
      li.append(b);
      ul.append(li);
    }
  } catch { ul.replaceChildren(el('li', null, t('noResult'))); }
}

async function loadPicker() {
  try {
    const j = await getJSON('/api/v1/addresses/districts');
    const arr = Array.isArray(j) ? j : j.districts || j.items || [];
    const sel = $('district');
    for (const d of arr) { const o = el('option', null, d.name); o.value = d.code; sel.append(o); }
  } catch { /* the search and the map still work */ }
}
async function pickDistrict(code) {
  const sel = $('town');
  sel.replaceChildren(el('option', null, t('choose')));
  sel.firstChild.value = '';
  sel.disabled = !code;
  if (!code) return;
  try {
    const list = places(await getJSON(`/api/v1/addresses/districts/${encodeURIComponent(code)}`));
    for (const p of list) { const o = el('option', null, p.town || p.label); o.value = JSON.stringify(placeHome(p)); sel.append(o); }
  } catch { /* nothing to pick */ }
}

/* A home from a map tap or the phone's location has no district id; the
 * hazard answer names its district by code, and the picker's list of that
 * district (one request naming the district, not the point) gives the id
 * that server saves and notifications carry. */
async function districtFromAnswer(a) {
  const h = state.home;
  if (!h || h.district_id || !a?.district_code) return;
  try {
    const list = places(await getJSON(`/api/v1/addresses/districts/${encodeURIComponent(a.district_code)}`));
    const id = list.find((p) => Number.isInteger(p.district_id) && p.district_id > 0)?.district_id;
    if (id && state.home === h) { h.district_id = id; keep(KEY.home, h); }
  } catch { /* saved without a district */ }
}

export async function setHome(h) {
  state.home = h;
  keep(KEY.home, h);
  await refreshAnswer();
  if (state.map) state.map.setHome(h);
  $('answer').focus();
}

async function refreshAnswer() {
  if (!state.home) return;
  try {
    const m = {};
    const a = await getJSON(`/api/v1/hazard?lat=${state.home.lat.toFixed(6)}&lon=${state.home.lon.toFixed(6)}`, m);
    state.answer = a;
    state.answerAt = m.at;
    state.offline = m.offline;
    if (!m.offline) keep(KEY.answer, { a, at: m.at });
    if (!m.offline) districtFromAnswer(a);
  } catch {
    state.offline = true;
  }
  render();
  if (state.map) state.map.setAnswer(state.answer);
  loadRivers();
  cacheTilesAroundHome();
}

/* ---- status polling ------------------------------------------------------ */

/* What a resident must hear about: the city's order and the 相当 level. */
function levelKey() {
  const L = levels();
  return `${L.order ? `${L.order.level}:${L.order.name_ja}` : '-'}/${L.jma || '-'}`;
}

async function poll() {
  const before = levelNow();
  const keyBefore = levelKey();
  const had = !!state.status;
  try {
    const m = {};
    const s = await getJSON('/api/v1/status', m);
    state.status = s;
    state.statusAt = m.at;
    state.offline = m.offline;
    if (!m.offline) keep(KEY.status, { s, at: m.at });
  } catch {
    state.offline = true;
  }
  const after = levelNow();
  if (had && keyBefore !== levelKey()) {
    const L = levels();
    const words = `${L.order ? `${L.order.name_ja}（${levelName(L.order.level)}）` : ''} ${L.jma ? `${levelName(L.jma)}相当` : ''}`.trim();
    $('live').textContent = t('levelChanged', words || t('peace'));
  }
  render(before !== after);
}

function render(planToo = true) {
  renderLevels();
  renderAnswer();
  renderRivers();
  renderAge();
  if (planToo) renderPlan();
}

/* ---- the map, only on demand ---------------------------------------------- */

async function openMap() {
  $('mapbox').hidden = false;
  $('openmap').disabled = true;
  $('openmap').textContent = t('loadingMap');
  const { openMap: om } = await import('./map.js');
  state.map = await om({ el: $('map'), list: $('maplist-body'), home: state.home, answer: state.answer, lang: state.lang, onPick: (lat, lon) => setHome({ label: t('tapped'), lat, lon }) });
  $('openmap').textContent = t('openMap');
}

function cacheTilesAroundHome() {
  if (!state.home || !navigator.serviceWorker?.controller) return;
  navigator.serviceWorker.controller.postMessage({ type: 'tiles', lat: state.home.lat, lon: state.home.lon });
}

/* ---- start ------------------------------------------------------------------ */

/* ---- Web Push (通知を受け取る) ----------------------------------------------
 * For residents who saved a plan, where the browser has PushManager and the
 * portal a Web Push channel (GET /api/v1/webpush/key answers).  The
 * subscription goes only in a POST body with the plan's district and its
 * lowest level with actions; it is never logged or put in a URL. */
const push = { key: null };
function planMinLevel(p) {
  const l = [1, 2, 3, 4, 5].find((n) => { const lp = p.levels?.[n]; return lp && ((lp.presets || []).length || (lp.own || []).length); });
  return l || 3;
}
function b64urlBytes(s) {
  return Uint8Array.from(atob(s.replace(/-/g, '+').replace(/_/g, '/')), (c) => c.charCodeAt(0));
}
async function pushSub() {
  const reg = await navigator.serviceWorker.ready;
  return { reg, sub: await reg.pushManager.getSubscription() };
}
async function renderPush() {
  const box = $('push');
  const saved = !state.proxy && load(KEY.plan)?.saved_at;
  if (!saved || !push.key) { box.hidden = true; return; }
  box.hidden = false;
  const can = 'PushManager' in window && 'serviceWorker' in navigator && 'Notification' in window;
  if (!can) { $('pushon').hidden = true; $('pushoff').hidden = true; $('pushmsg').textContent = t('pushNone'); return; }
  let sub = null;
  try { ({ sub } = await pushSub()); } catch { /* no service worker yet */ }
  $('pushon').hidden = !!sub;
  $('pushoff').hidden = !sub;
}
async function initPush() {
  try {
    const r = await fetch('/api/v1/webpush/key', { headers: { Accept: 'application/json' } });
    const j = r.ok ? await r.json() : null;
    push.key = typeof j?.public_key === 'string' && /^B[A-Za-z0-9_-]{86}$/.test(j.public_key) ? j.public_key : null;
  } catch { push.key = null; }
  await renderPush();
}
async function pushOn() {
  const msg = $('pushmsg');
  try {
    if (Notification.permission !== 'granted' && (await Notification.requestPermission()) !== 'granted') { msg.textContent = t('pushDenied'); return; }
    const { reg } = await pushSub();
    const sub = await reg.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: b64urlBytes(push.key) });
    const p = load(KEY.plan) || plan();
    const d = (p.home || state.home)?.district_id;
    const min = planMinLevel(p);
    const r = await fetch('/api/v1/webpush/subscribe', {
      method: 'POST', cache: 'no-store', headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
      body: JSON.stringify({ subscription: sub.toJSON(), min_level: min, ...(Number.isInteger(d) && d > 0 ? { district_id: d } : {}) }),
    });
    if (!r.ok) { await sub.unsubscribe().catch(() => {}); msg.textContent = t('pushFailed'); await renderPush(); return; }
    msg.textContent = t('pushDone', min);
  } catch { msg.textContent = t('pushFailed'); }
  await renderPush();
  $(($('pushoff').hidden ? 'pushon' : 'pushoff')).focus();
}
/* One action: the portal forgets the endpoint, the browser the subscription. */
async function pushOff() {
  const msg = $('pushmsg');
  try {
    const { sub } = await pushSub();
    if (sub) {
      await fetch('/api/v1/webpush/unsubscribe', {
        method: 'POST', cache: 'no-store', headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
        body: JSON.stringify({ endpoint: sub.endpoint }),
      });
      await sub.unsubscribe();
    }
    msg.textContent = t('pushOffDone');
  } catch { msg.textContent = t('pushFailed'); }
  await renderPush();
  $(($('pushon').hidden ? 'pushoff' : 'pushon')).focus();
}

function start() {
  if (state.answer?.a) { state.answerAt = state.answer.at; state.answer = state.answer.a; }
  if (state.status?.s) { state.statusAt = state.status.at; state.status = state.status.s; }
  planFromLink();
  for (const b of document.querySelectorAll('[data-lang]')) b.addEventListener('click', () => { state.lang = b.dataset.lang; localStorage.setItem(KEY.lang, state.lang); applyLang(); });
  const q = $('q');
  /* With an IME, search only once the text is committed (compositionend);
   * without one, shortly after typing stops. */
  q.addEventListener('compositionstart', () => { composing = true; clearTimeout(searchTimer); });
  q.addEventListener('compositionend', () => { composing = false; search(q.value); });
  q.addEventListener('input', (e) => {
    if (composing || e.isComposing) return;
    clearTimeout(searchTimer);
    searchTimer = setTimeout(() => search(q.value), 400);
  });
  $('search').addEventListener('submit', (e) => { e.preventDefault(); search(q.value); });
  $('district').addEventListener('change', (e) => pickDistrict(e.target.value));
  $('town').addEventListener('change', (e) => { if (e.target.value) setHome(JSON.parse(e.target.value)); });
  $('locate').addEventListener('click', () => {
    navigator.geolocation?.getCurrentPosition(
      (p) => setHome({ label: `${p.coords.latitude.toFixed(4)}, ${p.coords.longitude.toFixed(4)}`, lat: p.coords.latitude, lon: p.coords.longitude }),
      () => { $('results').replaceChildren(el('li', null, t('locErr'))); }, { timeout: 15000, maximumAge: 60000 });
  });
  $('openmap').addEventListener('click', openMap);
  /* A plan already on the server (with consent given here) is kept in step
   * with every save. */
  $('save').addEventListener('click', () => (server()?.consent ? saveServer() : savePlan()));
  $('srvsave').addEventListener('click', saveServer);
  $('srvqr').addEventListener('click', showTokenQr);
  $('srvdel').addEventListener('click', deleteServer);
  $('loadtok').addEventListener('submit', loadServer);
  $('print').addEventListener('click', printPlan);
  $('proxy').addEventListener('change', (e) => {
    state.proxy = e.target.checked;
    $('proxyname').hidden = !state.proxy;
    state.proxyPlan = state.proxy ? { levels: {} } : null;
    state.proxyServer = null;
    $('saved').textContent = '';
    $('srvmsg').textContent = '';
    renderPlan();
    renderServer();
  });
  applyLang();
  loadPicker();
  poll();
  setInterval(poll, POLL_MS);
  setInterval(renderAge, 30000);
  if (state.home) refreshAnswer();
  if ('serviceWorker' in navigator) navigator.serviceWorker.register('/sw.js', { updateViaCache: 'none' }).catch(() => {});
  $('pushon').addEventListener('click', pushOn);
  $('pushoff').addEventListener('click', pushOff);
  initPush();
}
start();
