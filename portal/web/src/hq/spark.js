/* A sparkline as inline SVG (no library): the last hours of a series, with
 * the danger threshold as a dashed line when it falls in range. */
const NS = 'http://www.w3.org/2000/svg';

export function sparkline(values, { width = 120, height = 28, mark = null, label = '' } = {}) {
  const svg = document.createElementNS(NS, 'svg');
  svg.setAttribute('width', width);
  svg.setAttribute('height', height);
  svg.setAttribute('viewBox', `0 0 ${width} ${height}`);
  svg.setAttribute('role', 'img');
  svg.setAttribute('aria-label', label);
  svg.classList.add('spark');
  const v = values.filter((x) => Number.isFinite(x));
  if (v.length < 2) return svg;
  let lo = Math.min(...v);
  let hi = Math.max(...v);
  if (mark != null && mark >= lo - (hi - lo) && mark <= hi + (hi - lo)) { lo = Math.min(lo, mark); hi = Math.max(hi, mark); }
  if (hi - lo < 1e-6) { hi += 0.5; lo -= 0.5; }
  const y = (x) => (height - 2 - ((x - lo) / (hi - lo)) * (height - 4)).toFixed(1);
  const step = (width - 2) / (values.length - 1);
  const pts = values.map((x, i) => (Number.isFinite(x) ? `${(1 + i * step).toFixed(1)},${y(x)}` : null)).filter(Boolean);
  if (mark != null && mark >= lo && mark <= hi) {
    const m = document.createElementNS(NS, 'line');
    m.setAttribute('x1', 0); m.setAttribute('x2', width); m.setAttribute('y1', y(mark)); m.setAttribute('y2', y(mark));
    m.setAttribute('class', 'mark');
    svg.append(m);
  }
  const pl = document.createElementNS(NS, 'polyline');
  pl.setAttribute('points', pts.join(' '));
  pl.setAttribute('fill', 'none');
  svg.append(pl);
  return svg;
}
