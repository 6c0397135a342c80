/* The 警戒レベル as residents read them: the official colours (the same
 * as common/level.h), the official words, and the text colour that keeps
 * each fill readable (WCAG AA): dark text on white, yellow and red; white
 * text on purple and black.  The level number is always written too. */
export const LEVELS = {
  5: { fill: '#0C000C', text: '#FFFFFF', order: '緊急安全確保', action: '命の危険 直ちに安全確保', easy: 'いのちが あぶない。すぐに あんぜんな ところへ', en: 'Emergency safety measures' },
  4: { fill: '#AA00AA', text: '#FFFFFF', order: '避難指示', action: '危険な場所から全員避難', easy: 'あぶない ところの ひとは みんな にげる', en: 'Evacuation order' },
  3: { fill: '#FF2800', text: '#000000', order: '高齢者等避難', action: '高齢者等は危険な場所から避難', easy: 'おとしより などは にげる', en: 'Evacuation of the elderly and others' },
  2: { fill: '#F2E700', text: '#000000', order: null, action: '自らの避難行動を確認', easy: 'にげる じゅんびを たしかめる', en: 'Check how you will evacuate' },
  1: { fill: '#FFFFFF', text: '#000000', order: null, action: '災害への心構えを高める', easy: 'さいがいに きを つける', en: 'Be prepared' },
};

const ZEN = ['０', '１', '２', '３', '４', '５'];

/* 「警戒レベル４」: the full-width digit, as official texts write it. */
export function levelName(l) {
  return `警戒レベル${ZEN[l] || l}`;
}

export function badge(l, extra) {
  const s = document.createElement('span');
  s.className = `badge l${l}`;
  s.textContent = extra ? `${levelName(l)} ${extra}` : levelName(l);
  return s;
}

/* Direction words for a bearing (0 = north, clockwise). */
const DIRS = {
  ja: ['北', '北東', '東', '南東', '南', '南西', '西', '北西'],
  easy: ['きた', 'きたひがし', 'ひがし', 'みなみひがし', 'みなみ', 'みなみにし', 'にし', 'きたにし'],
  en: ['north', 'north-east', 'east', 'south-east', 'south', 'south-west', 'west', 'north-west'],
};
export function direction(deg, lang) {
  if (deg == null || !Number.isFinite(deg)) return null;
  const i = Math.round((((deg % 360) + 360) % 360) / 45) % 8;
  return (DIRS[lang] || DIRS.ja)[i];
}
