/* What staff do from the dashboard: issue and lift the city's orders (L5
 * with the server's second confirmation), publish and withdraw notices,
 * register a field report at a place chosen on the map (photos from the
 * phone's camera), open and close shelters, and add watch points.  Every
 * write goes through api.post with the session's CSRF token. */
import { LEVELS, levelName } from '../levels.js';
import { HttpError, post } from './api.js';
import { el, hhmm } from './util.js';

const HAZARDS = [['flood', '洪水'], ['landslide', '土砂災害'], ['inland_flood', '内水氾濫'], ['storm_surge', '高潮'], ['tsunami', '津波'], ['earthquake', '地震'], ['fire', '火災'], ['volcano', '火山'], ['other', 'その他']];
const NOTICE = [['shelter_open', '避難所開設'], ['road_closed', '通行止め'], ['water_supply', '給水'], ['power', '停電'], ['info', '情報'], ['other', 'その他']];
const REPORT = ['冠水', '倒木', '土砂崩れ', '道路損壊', '停電', '建物被害', 'その他'];

let seq = 0;
function field(label, input) {
  const id = input.id || `f${++seq}`;
  input.id = id;
  return el('div', { class: 'field' }, el('label', { for: id, text: label }), input);
}
const select = (opts, attrs = {}) => el('select', attrs, opts.map(([v, t]) => el('option', { value: v, text: t })));
const check = (label, attrs = {}) => {
  const id = `c${++seq}`;
  return el('div', { class: 'field check' }, el('input', { type: 'checkbox', id, ...attrs }), el('label', { for: id, text: label }));
};
function message(box, text, ok = true) {
  box.textContent = text;
  box.className = `msg ${ok ? 'ok' : 'err'}`;
}
function errText(e) {
  if (e instanceof HttpError) return `${e.status === 403 ? '権限がありません' : 'できませんでした'}：${e.message}`;
  return `通信できませんでした：${e.message}`;
}

export function buildActions(box, ctx) {
  box.replaceChildren();
  box.append(orderForm(ctx), noticeForm(ctx), reportForm(ctx), watchForm(ctx));
}

const areaLabel = (ctx, code) => ctx.state.alerts?.areas?.find((a) => a.area_code === code)?.area_name || code;
const districtLabel = (ctx, id) => `${ctx.state.districts?.find((d) => d.id === id)?.name || `地区 ${id}`}（地区）`;

function orderForm(ctx) {
  const level = select([[4, '警戒レベル4 避難指示'], [3, '警戒レベル3 高齢者等避難'], [5, '警戒レベル5 緊急安全確保']], { name: 'level' });
  const areas = ctx.state.alerts?.areas || [];
  const target = select([...areas.map((a) => [`a:${a.area_code}`, a.area_name]), ...(ctx.state.districts || []).map((d) => [`d:${d.id}`, `${d.name}（地区）`])], { name: 'target' });
  const hazard = select(HAZARDS, { name: 'hazard' });
  const reason = el('input', { name: 'reason', placeholder: '例：赤川の水位が氾濫危険水位に達したため', required: true });
  const ex = check('訓練');
  const msg = el('p', { class: 'msg', role: 'status' });
  const confirmBox = el('div', { class: 'confirm', role: 'alertdialog', 'aria-labelledby': 'l5-h', hidden: true });
  const inForce = el('ul', { class: 'compact orders' });
  const form = el('form', { id: 'order-form' }, field('レベル', level), field('対象', target), field('災害の種類', hazard), field('理由', reason), ex,
    el('button', { type: 'submit' }, '発令'), msg, confirmBox);

  function body(extra = {}) {
    const [kind, code] = target.value.split(':');
    return { level: +level.value, hazard: hazard.value, reason: reason.value, exercise: ex.querySelector('input').checked,
      ...(kind === 'a' ? { area_code: code } : { district_id: +code }), ...extra };
  }
  async function send(extra) {
    const b = body(extra);
    try {
      const r = await post('/api/v1/orders', b);
      confirmBox.hidden = true;
      message(msg, `発令しました：${LEVELS[b.level].order}（${levelName(b.level)}）番号 ${r?.id ?? r?.order?.id ?? ''}`);
      ctx.refresh('orders');
    } catch (e) {
      if (e instanceof HttpError && e.status === 428 && e.body?.confirm) {
        /* L5: the server asks for the same order again with its code. */
        confirmBox.replaceChildren(
          el('h3', { id: 'l5-h', text: '緊急安全確保（警戒レベル5）の発令を確認してください' }),
          el('p', { text: `対象：${target.selectedOptions[0].textContent}／災害：${hazard.selectedOptions[0].textContent}／理由：${b.reason}` }),
          el('p', { text: '命に危険が及ぶ状況で、すでに安全な避難ができない場合の情報です。2分以内に確認してください。' }),
          el('button', { type: 'button', class: 'danger', id: 'l5-confirm', onclick: () => send({ confirm: e.body.confirm }) }, '確認して発令'),
          el('button', { type: 'button', class: 'secondary', onclick: () => { confirmBox.hidden = true; message(msg, '発令を取りやめました'); } }, '取りやめる'));
        confirmBox.hidden = false;
        confirmBox.querySelector('#l5-confirm').focus();
        return;
      }
      message(msg, errText(e), false);
    }
  }
  form.addEventListener('submit', (e) => { e.preventDefault(); send({}); });

  function renderOrders() {
    inForce.replaceChildren();
    const orders = ctx.state.orders || [];
    if (!orders.length) inForce.append(el('li', { text: '発令中の避難情報はありません' }));
    for (const o of orders) {
      const lift = el('button', { type: 'button', class: 'small' }, '解除');
      lift.addEventListener('click', async () => {
        if (lift.dataset.armed !== '1') { lift.dataset.armed = '1'; lift.textContent = '本当に解除する'; return; }
        try { await post(`/api/v1/orders/${o.id}/lift`, {}); ctx.refresh('orders'); } catch (e) { message(msg, errText(e), false); }
      });
      inForce.append(el('li', { 'data-order': o.id }, el('span', { class: `badge l${o.level}`, text: levelName(o.level) }),
        ` ${o.name_ja} ${o.area_code ? areaLabel(ctx, o.area_code) : districtLabel(ctx, o.district_id)} ${hhmm(o.issued_at)}${o.exercise ? '［訓練］' : ''} `, lift));
    }
  }
  ctx.on('orders', renderOrders);
  renderOrders();
  return el('section', { class: 'act' }, el('h3', { text: '避難情報の発令・解除' }), form, el('h4', { text: '発令中' }), inForce);
}

function noticeForm(ctx) {
  const cat = select(NOTICE);
  const areas = ctx.state.alerts?.areas || [];
  const area = select([['', '指定しない'], ...areas.map((a) => [a.area_code, a.area_name])]);
  const title = el('input', { required: true, placeholder: '例：避難所開設' });
  const text = el('textarea', { required: true, rows: 2, placeholder: '例：朝暘第一小学校を開設しました' });
  const pub = check('住民に公開する', { checked: true });
  const ex = check('訓練');
  const msg = el('p', { class: 'msg', role: 'status' });
  const list = el('ul', { class: 'compact notices' });
  const form = el('form', { id: 'notice-form' }, field('種類', cat), field('対象地域', area), field('見出し', title), field('本文', text), pub, ex, el('button', { type: 'submit' }, '公開'), msg);
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    try {
      await post('/api/v1/notices', { category: cat.value, area_code: area.value || undefined, title_ja: title.value, text_ja: text.value,
        public: pub.querySelector('input').checked, exercise: ex.querySelector('input').checked });
      message(msg, `お知らせを公開しました：${title.value}`);
      form.reset();
      ctx.refresh('notices');
    } catch (err) { message(msg, errText(err), false); }
  });
  /* A withdrawn notice ends at the next second at the latest (the store
   * keeps valid_to after valid_from): it leaves the list at once, here and,
   * through its notice.published event with withdrawn, on every screen. */
  const withdrawn = ctx.state.withdrawnNotices;
  function render() {
    list.replaceChildren();
    for (const n of (ctx.state.notices || []).filter((x) => !withdrawn.has(x.id))) {
      list.append(el('li', { 'data-notice': n.id }, `${n.title_ja}：${n.text_ja}${n.public ? '' : '（職員のみ）'} `,
        el('button', { type: 'button', class: 'small', onclick: async () => {
          try {
            await post(`/api/v1/notices/${n.id}/withdraw`, {});
            withdrawn.add(n.id);
            message(msg, `取り下げました：${n.title_ja}`);
            render();
            ctx.refresh('notices');
          } catch (err) { message(msg, errText(err), false); }
        } }, '取り下げ')));
    }
  }
  ctx.on('notices', render);
  render();
  return el('section', { class: 'act' }, el('h3', { text: 'お知らせ' }), form, el('h4', { text: '掲載中' }), list);
}

function placeInputs(ctx, prefix) {
  const c = ctx.map.map.getCenter();
  const lat = el('input', { id: `${prefix}-lat`, inputmode: 'decimal', value: c.lat.toFixed(5), required: true });
  const lon = el('input', { id: `${prefix}-lon`, inputmode: 'decimal', value: c.lng.toFixed(5), required: true });
  const pick = el('button', { type: 'button', class: 'secondary', id: `${prefix}-pick` }, '地図で場所を選ぶ');
  pick.addEventListener('click', () => {
    ctx.hint(true);
    ctx.map.pickPlace((la, lo) => { lat.value = la.toFixed(6); lon.value = lo.toFixed(6); ctx.hint(false); lat.focus(); });
  });
  return { lat, lon, nodes: [pick, el('div', { class: 'pair' }, field('緯度', lat), field('経度', lon))] };
}

function reportForm(ctx) {
  const place = placeInputs(ctx, 'report');
  const cat = select(REPORT.map((c) => [c, c]));
  const sev = select([[2, '2 中'], [1, '1 軽微'], [3, '3 重大']]);
  const text = el('textarea', { rows: 2, required: true, placeholder: '例：馬場町の交差点が約20cm冠水' });
  /* capture: the phone opens its camera; on a PC a file chooser. */
  const photos = el('input', { type: 'file', accept: 'image/jpeg,image/png', capture: 'environment', multiple: true });
  const ex = check('訓練');
  const msg = el('p', { class: 'msg', role: 'status' });
  const form = el('form', { id: 'report-form' }, ...place.nodes, field('種類', cat), field('深刻度', sev), field('内容', text), field('写真（3枚まで）', photos), ex, el('button', { type: 'submit' }, '報告を登録'), msg);
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    try {
      const r = await post('/api/v1/reports', { lat: +place.lat.value, lon: +place.lon.value, category: cat.value, severity: +sev.value, text: text.value, exercise: ex.querySelector('input').checked });
      const id = r.id ?? r.report?.id;
      let n = 0;
      for (const f of [...photos.files].slice(0, 3)) {
        await post(`/api/v1/reports/${id}/photos`, f, f.type || 'image/jpeg');
        n++;
      }
      message(msg, `報告 ${id} を登録しました${n ? `（写真 ${n} 枚）` : ''}`);
      form.reset();
      ctx.refresh('reports');
    } catch (err) { message(msg, errText(err), false); }
  });
  return el('section', { class: 'act' }, el('h3', { text: '被害報告の登録' }), form);
}

function watchForm(ctx) {
  const place = placeInputs(ctx, 'watch');
  const name = el('input', { required: true, placeholder: '例：〇〇アンダーパス' });
  const note = el('input', { placeholder: '確認すること' });
  const sids = el('input', { placeholder: '観測所番号（カンマ区切り）例：1, 41' });
  const msg = el('p', { class: 'msg', role: 'status' });
  const submit = el('button', { type: 'submit' }, '追加');
  const cancel = el('button', { type: 'button', class: 'secondary', hidden: true }, '編集をやめる');
  const title = el('h3', { text: '重点確認箇所の追加' });
  const form = el('form', { id: 'watch-form' }, field('名前', name), ...place.nodes, field('メモ', note), field('関連する観測所', sids), submit, cancel, msg);
  let editing = null;
  let checklist = [];
  function mode(w) {
    editing = w;
    checklist = w?.checklist || [];
    title.textContent = w ? `重点確認箇所の編集：${w.name}` : '重点確認箇所の追加';
    submit.textContent = w ? '保存' : '追加';
    cancel.hidden = !w;
  }
  cancel.addEventListener('click', () => { form.reset(); mode(null); });
  /* The list's 「編集」 fills this form; saving replaces the point. */
  ctx.editWatch = (w) => {
    mode(w);
    name.value = w.name;
    note.value = w.note || '';
    if (w.geometry?.type === 'Point') { place.lon.value = w.geometry.coordinates[0]; place.lat.value = w.geometry.coordinates[1]; }
    sids.value = (w.station_ids || []).join(', ');
    name.focus();
  };
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const body = { name: name.value, note: note.value, checklist,
      geometry: editing && editing.geometry?.type !== 'Point' ? editing.geometry : { type: 'Point', coordinates: [+place.lon.value, +place.lat.value] },
      station_ids: sids.value.split(/[,\s、]+/).filter(Boolean).map(Number) };
    try {
      await post(editing ? `/api/v1/watch-points/${editing.id}` : '/api/v1/watch-points', body);
      message(msg, `重点確認箇所を${editing ? '保存' : '追加'}しました：${name.value}`);
      form.reset();
      mode(null);
      ctx.refresh('watch');
    } catch (err) { message(msg, errText(err), false); }
  });
  return el('section', { class: 'act' }, title, form);
}

/* The inline form for one shelter: open or closed, occupancy, needs. */
export function shelterEditor(f, ctx) {
  const p = f.properties;
  const open = el('select', {}, el('option', { value: '1', text: '開設' }), el('option', { value: '0', text: '閉鎖（未開設）' }));
  open.value = p.open ? '1' : '0';
  const occ = el('input', { type: 'number', min: 0, inputmode: 'numeric', value: p.occupancy ?? '' });
  const needs = el('input', { value: p.needs || '', placeholder: '例：毛布、飲料水' });
  const msg = el('p', { class: 'msg', role: 'status' });
  const form = el('form', { class: 'shelter-form', 'data-shelter': f.id }, el('h3', { text: p.name }), field('開設', open), field('避難者数', occ), field('必要物資', needs), el('button', { type: 'submit' }, '更新'), msg);
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    try {
      /* An empty count is sent as -1, the API's "unknown". */
      await post(`/api/v1/shelters/${f.id}/status`, { open: open.value === '1', occupancy: occ.value === '' ? -1 : +occ.value, needs: needs.value || null });
      message(msg, '更新しました');
      ctx.refresh('shelters');
    } catch (err) { message(msg, errText(err), false); }
  });
  return form;
}
