/* The panels beside the map: alerts in force, the gauge table, rainfall,
 * cameras, sensor health, watch points, freshness, shelters, reports and
 * the timeline aggregates.  Each takes the state and redraws itself. */
import { levelName } from '../levels.js';
import { BAD_STATES, STATE_JA, age, el, hhmm, levelBadge, reached, severity } from './util.js';
import { sparkline } from './spark.js';

const TABLE_ROWS = 100;
const SOURCE_JA = { jma: '気象庁 防災情報XML', kriver: '川の防災情報（水位）', kawabou: '川の防災情報（カメラ）', amedas: 'アメダス（雨量）', camera: '河川カメラ', table: '水位表', mqtt: '市の水位センサ', seed: '見本データ' };

export function renderAlerts(ul, s) {
  ul.replaceChildren();
  const areas = [...(s.alerts?.areas || [])].sort((a, b) => String(b.updated_at).localeCompare(String(a.updated_at)));
  if (!areas.length) { ul.append(el('li', { text: '発表中の警報・避難情報はありません' })); return; }
  for (const a of areas) {
    const li = el('li', { class: 'area', 'data-area': a.area_code });
    li.append(el('h3', { text: a.area_name }));
    const order = a.order;
    li.append(el('p', { class: 'line city', 'data-line': 'city' },
      order ? [levelBadge(order.level), ` ${a.area_name}が発令：${order.name_ja}（${levelName(order.level)}）`, el('span', { class: 'when', text: ` ${hhmm(order.issued_at)}` })]
        : '市の避難情報：発令なし'));
    li.append(el('p', { class: 'line jma', 'data-line': 'jma' },
      a.level ? [levelBadge(a.level, null, '相当'), ' 気象庁・河川の情報'] : '気象庁・河川の情報：警戒レベル相当の情報なし'));
    const kinds = [...(a.kinds || [])].sort((x, y) => String(y.issued_at).localeCompare(String(x.issued_at)));
    if (kinds.length) {
      li.append(el('ul', { class: 'kinds' }, kinds.map((k) => el('li', {},
        k.level ? levelBadge(k.level, null, '相当') : null, ` ${k.name}`, el('strong', { class: `st st-${k.status}`, text: `［${k.status}］` }), ` ${hhmm(k.issued_at)}`))));
    }
    ul.append(li);
  }
}

export function renderGauges(tbody, s, series) {
  const rows = s.stations.filter((f) => f.kind === 'gauge' || f.kind === 'sensor');
  rows.sort((a, b) => severity(b) - severity(a) || (b.rate_m_per_h || 0) - (a.rate_m_per_h || 0) || a.id - b.id);
  tbody.replaceChildren();
  for (const p of rows.slice(0, TABLE_ROWS)) {
    const bad = BAD_STATES.includes(p.state);
    const tr = el('tr', { class: `g ${bad ? 'bad' : p.level ? `l${p.level}` : 'ok'}`, 'data-id': p.id, 'data-state': p.state });
    const rate = p.rate_m_per_h;
    const ser = series.get(p.id);
    tr.append(
      el('th', { scope: 'row' }, `${p.name}`, el('span', { class: 'sub', text: `${p.river || ''}${p.kind === 'sensor' ? '・市のセンサ' : ''}` })),
      el('td', {}, levelBadge(p.level, p.state, '相当')),
      el('td', { class: 'num' }, p.value == null ? '—' : `${p.value.toFixed(2)} m`, el('span', { class: `sub${bad ? ' old' : ''}`, text: `${hhmm(p.observed_at)}${bad ? '（古い）' : ''}` })),
      el('td', { text: reached(p) }),
      el('td', { class: 'num', text: rate == null ? '—' : `${rate > 0 ? '+' : ''}${rate.toFixed(2)} m/h${rate >= 0.3 ? ' ↑' : ''}` }),
      el('td', {}, ser ? sparkline(ser, { mark: p.thresholds?.danger ?? null, label: `${p.name}の6時間の水位` }) : ''),
    );
    tbody.append(tr);
  }
  if (rows.length > TABLE_ROWS) {
    tbody.append(el('tr', {}, el('td', { colspan: 6, text: `ほか ${rows.length - TABLE_ROWS} か所（危険度の低い順に省略）` })));
  }
  return rows.slice(0, 12).map((p) => p.id);
}

export function renderRain(ul, s) {
  ul.replaceChildren();
  const rain = s.stations.filter((f) => f.kind === 'rain').sort((a, b) => (b.value ?? -1) - (a.value ?? -1));
  for (const p of rain) {
    const bad = BAD_STATES.includes(p.state);
    ul.append(el('li', { class: bad ? 'bad' : '' }, `${p.name}：`, bad ? levelBadge(null, p.state) : `${p.value ?? '—'} mm/10分`, el('span', { class: 'sub', text: ` ${hhmm(p.observed_at)}` })));
  }
}

export function renderCameras(ul, s) {
  ul.replaceChildren();
  for (const f of s.cameras) {
    const p = f.properties;
    const id = f.id;
    const flag = p.frozen ? 'frozen' : BAD_STATES.includes(p.state) ? p.state : 'ok';
    const img = el('img', { src: `/api/v1/cameras/${id}/thumb.jpg`, alt: `${p.name}の最新画像`, loading: 'lazy', width: 160, height: 120 });
    img.addEventListener('error', () => img.replaceWith(el('span', { class: 'noimg', text: '画像なし' })));
    ul.append(el('li', { class: `cam ${flag}`, 'data-state': flag },
      el('a', { href: `/api/v1/cameras/${id}/latest.jpg`, target: '_blank', rel: 'noopener' }, img),
      el('p', {}, p.name),
      el('p', { class: 'sub' }, `撮影 ${p.latest ? hhmm(p.latest.captured_at) : '—'} `,
        flag === 'ok' ? el('span', { class: 'tag ok', text: '更新中' }) : el('span', { class: `badge bad ${flag}`, text: flag === 'frozen' ? '画像が止まっている' : STATE_JA[flag] }))));
  }
}

export function renderHealth(ul, s) {
  ul.replaceChildren();
  const devs = s.devices || [];
  const sensors = s.stations.filter((f) => f.kind === 'sensor');
  const off = sensors.filter((p) => BAD_STATES.includes(p.state));
  ul.append(el('li', { class: 'sum', text: `市のセンサ ${sensors.length} 台：正常 ${sensors.length - off.length}・途絶/古い/不明 ${off.length}` }));
  for (const d of devs) {
    const low = d.batt_v != null && d.batt_v < 3.3;
    const probs = [];
    if (d.health !== 'online') probs.push(el('span', { class: `badge bad ${d.health === 'offline' ? 'offline' : 'unknown'}`, text: d.health === 'offline' ? '通信途絶' : '不明' }));
    if (low) probs.push(el('span', { class: 'tag warn', text: `電池残量低下 ${d.batt_v.toFixed(2)} V` }));
    if (d.open_gaps) probs.push(el('span', { class: 'tag warn', text: `欠測 ${d.open_gaps} 区間（${d.missing_readings} 件）` }));
    ul.append(el('li', { 'data-device': d.device },
      el('a', { href: `?view=device&device=${encodeURIComponent(d.device)}`, text: d.device }), '：',
      probs.length ? probs : el('span', { class: 'tag ok', text: '正常' }),
      el('span', { class: 'sub', text: ` 電波 ${d.rssi_dbm ?? '—'} dBm・最終受信 ${age(d.last_seen_at, s.now())}` })));
  }
  for (const p of off) {
    if (devs.some((d) => d.station_id === p.id)) continue;
    ul.append(el('li', {}, `${p.name}：`, levelBadge(null, p.state), el('span', { class: 'sub', text: ` 最終 ${hhmm(p.observed_at)}` })));
  }
}

export function renderWatch(ul, s, onDelete, onEdit) {
  ul.replaceChildren();
  const byId = new Map(s.stations.map((p) => [p.id, p]));
  if (!s.watch.length) ul.append(el('li', { text: '登録された重点確認箇所はありません' }));
  for (const w of s.watch) {
    const linked = (w.station_ids || []).map((id) => byId.get(id)).filter(Boolean);
    ul.append(el('li', { 'data-watch': w.id },
      el('strong', { text: w.name }), w.note ? ` ${w.note}` : '',
      el('ul', {}, linked.map((p) => el('li', {}, `${p.name}：`, levelBadge(p.level, p.state, '相当'), ` ${p.value == null ? '—' : `${p.value} ${p.unit || ''}`}`))),
      onEdit ? el('button', { type: 'button', class: 'small', onclick: () => onEdit(w) }, '編集') : null,
      onDelete ? el('button', { type: 'button', class: 'small', onclick: () => onDelete(w) }, '削除') : null));
  }
}

export function renderFresh(ul, s) {
  ul.replaceChildren();
  const now = s.now();
  for (const src of s.sources) {
    const ok = src.state === 'ok';
    const old = src.last_ok_at && now - new Date(src.last_ok_at) > 30 * 60 * 1000;
    ul.append(el('li', { class: `src ${ok && !old ? 'ok' : 'bad'}`, 'data-source': src.name },
      `${SOURCE_JA[src.name] || src.name}：`,
      ok && !old ? el('span', { class: 'tag ok', text: '正常' }) : el('span', { class: 'badge bad stale', text: ok ? '更新が止まっている' : src.state === 'failing' ? '取得失敗' : src.state === 'degraded' ? '一部失敗' : '不明' }),
      el('span', { class: 'sub', 'data-age': src.last_ok_at || '', text: ` 最終取得 ${age(src.last_ok_at, now)}` }),
      src.last_error && !ok ? el('span', { class: 'sub', text: `（${src.last_error}）` }) : null));
  }
  ul.append(el('li', { class: 'sub', 'data-age': s.updatedAt || '', text: `この画面の更新：${age(s.updatedAt, now)}` }));
}

export function renderShelters(ul, s, onEdit) {
  ul.replaceChildren();
  const list = [...s.shelters].sort((a, b) => (b.properties.open - a.properties.open) || a.id - b.id);
  const open = list.filter((f) => f.properties.open);
  ul.append(el('li', { class: 'sum', text: `開設中 ${open.length} か所・避難者 計 ${open.reduce((n, f) => n + (f.properties.occupancy || 0), 0)} 人` }));
  for (const f of list.slice(0, 300)) {
    const p = f.properties;
    ul.append(el('li', { 'data-shelter': f.id },
      el('span', { class: `tag ${p.open ? 'open' : 'closed'}`, text: p.open ? '開設中' : '未開設' }), ` ${p.name}`,
      el('span', { class: 'sub', text: ` ${p.occupancy != null ? `${p.occupancy}人` : ''}${p.capacity ? ` / 定員${p.capacity}人` : ''}${p.needs ? `・必要物資：${p.needs}` : ''}` }),
      onEdit && onEdit.may(f.id) ? el('button', { type: 'button', class: 'small', onclick: () => onEdit(f) }, '状況を更新') : null));
  }
}

const STATUS_JA = { new: '新規', confirmed: '確認済み', handled: '対応済み' };
const NEXT = { new: 'confirmed', confirmed: 'handled' };
export function renderReports(ul, s, onStatus) {
  ul.replaceChildren();
  if (!s.reports.length) ul.append(el('li', { text: '報告はありません' }));
  for (const r of s.reports) {
    const photos = (r.photos || []).map((ph, i) => el('img', { src: `/api/v1/reports/${r.id}/photos/${i + 1}`, alt: `報告${r.id}の写真${i + 1}`, width: 96, height: 72, loading: 'lazy' }));
    ul.append(el('li', { 'data-report': r.id, class: `rep s${r.severity}` },
      el('span', { class: `tag rep-${r.status}`, text: STATUS_JA[r.status] || r.status }), ` ${r.category}（深刻度${r.severity}）${r.exercise ? '［訓練］' : ''} `,
      r.text, el('span', { class: 'sub', text: ` ${hhmm(r.updated_at)}${r.public ? '・公開' : ''}` }),
      photos.length ? el('div', { class: 'photos' }, photos) : null,
      onStatus && NEXT[r.status] ? el('button', { type: 'button', class: 'small', onclick: () => onStatus(r, { status: NEXT[r.status] }) }, `${STATUS_JA[NEXT[r.status]]}にする`) : null,
      onStatus ? el('button', { type: 'button', class: 'small', onclick: () => onStatus(r, { public: !r.public }) }, r.public ? '非公開にする' : '住民に公開する') : null));
  }
}

export function renderTimeline(box, s) {
  box.replaceChildren();
  const t = s.timeline;
  if (!t || !t.districts?.length) { box.append(el('p', { text: '集計できる登録はまだありません（5件未満は表示しません）。' })); return; }
  const names = new Map((s.districts || []).map((d) => [d.id, d.name]));
  const th = (x) => el('th', { scope: 'col', text: x });
  const table = el('table', { class: 'tl' }, el('thead', {}, el('tr', {}, th('地区'), th('登録数'), [1, 2, 3, 4, 5].map((l) => th(levelName(l))))));
  const tb = el('tbody');
  for (const d of t.districts) {
    tb.append(el('tr', {}, el('th', { scope: 'row', text: d.district_id ? names.get(d.district_id) || `地区 ${d.district_id}` : '地区不明' }),
      el('td', { text: d.plans ?? '5未満' }), [1, 2, 3, 4, 5].map((l) => el('td', { text: d.per_level?.[l] ?? '—' }))));
  }
  table.append(tb);
  box.append(table, el('p', { class: 'sub', text: t.note_ja || '' }));
}
