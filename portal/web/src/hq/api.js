/* Talking to sonae-portald: reads with the session or display cookie,
 * writes with the session's CSRF token (portal/auth.h). */
let csrf = '';

export function setCsrf(t) { csrf = t || ''; }

export class HttpError extends Error {
  constructor(status, body) {
    super((body && body.error && body.error.message) || `HTTP ${status}`);
    this.status = status;
    this.body = body;
  }
}

async function answer(r) {
  let body = null;
  const text = await r.text();
  try { body = text ? JSON.parse(text) : null; } catch { body = null; }
  if (!r.ok) throw new HttpError(r.status, body);
  return body;
}

export async function get(path) {
  return answer(await fetch(path, { cache: 'no-cache', credentials: 'same-origin' }));
}

export async function post(path, body, type = 'application/json') {
  const raw = type === 'application/json';
  return answer(await fetch(path, {
    method: 'POST',
    credentials: 'same-origin',
    headers: { 'Content-Type': type, 'X-CSRF-Token': csrf },
    body: raw ? JSON.stringify(body) : body,
  }));
}
