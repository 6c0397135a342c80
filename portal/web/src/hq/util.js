/* Small helpers shared by the dashboard's modules. */
import { LEVELS, levelName } from '../levels.js';

export const BAD_STATES = ['stale', 'offline', 'unknown'];
export const STATE_JA = { stale: '古いデータ', offline: '通信途絶', unknown: '不明', below_start: '観測開始前', watch: '観測中', ok: '正常', frozen: '画像が更新されない' };

export function el(tag, attrs = {}, ...kids) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v == null || v === false) continue;
    if (k === 'class') e.className = v;
    else if (k === 'text') e.textContent = v;
    else if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
    else e.setAttribute(k, v === true ? '' : v);
  }
  for (const c of kids.flat()) if (c != null) e.append(c.nodeType ? c : document.createTextNode(String(c)));
  return e;
}

/* A level or state badge: the level's fill with its text colour and the
 * words; stale/offline/unknown get their own grey, hatched badge. */
export function levelBadge(level, state, suffix = '') {
  if (BAD_STATES.includes(state)) return el('span', { class: `badge bad ${state}`, 'data-state': state, text: STATE_JA[state] });
  if (level && LEVELS[level]) return el('span', { class: `badge l${level}`, 'data-level': level, text: levelName(level) + suffix });
  return el('span', { class: 'badge none', text: state === 'watch' ? '観測中' : state === 'below_start' ? '観測開始前' : '基準以下' });
}

/* Severity for sorting: level first; unknown data ranks above the safe
 * ones (it might be anything), below every level. */
export function severity(p) {
  if (p.level) return 10 + p.level * 2 + (BAD_STATES.includes(p.state) ? 0 : 1);
  if (BAD_STATES.includes(p.state)) return 5;
  if (p.state === 'watch') return 3;
  return 0;
}

export function hhmm(iso) {
  if (!iso) return '—';
  const d = new Date(iso);
  if (Number.isNaN(+d)) return '—';
  return d.toLocaleString('ja-JP', { timeZone: 'Asia/Tokyo', month: 'numeric', day: 'numeric', hour: '2-digit', minute: '2-digit' });
}

/* 「12分前」 from an ISO time against now (ms). */
export function age(iso, now = Date.now()) {
  if (!iso) return '未取得';
  const s = Math.max(0, Math.round((now - new Date(iso)) / 1000));
  if (s < 60) return `${s}秒前`;
  if (s < 3600) return `${Math.floor(s / 60)}分前`;
  if (s < 86400) return `${Math.floor(s / 3600)}時間${Math.floor((s % 3600) / 60)}分前`;
  return `${Math.floor(s / 86400)}日前`;
}

export const THRESH_JA = { flood: '氾濫発生水位', danger: '氾濫危険水位', evacuation: '避難判断水位', caution: '氾濫注意水位', standby: '水防団待機水位', start: '観測開始水位' };

/* The highest threshold the value has reached, in words. */
export function reached(p) {
  const t = p.thresholds || {};
  if (p.value == null) return '—';
  for (const k of ['flood', 'danger', 'evacuation', 'caution', 'standby', 'start']) {
    if (t[k] != null && p.value >= t[k]) return `${THRESH_JA[k]}（${t[k]} m）`;
  }
  return 'なし';
}
