/* Completes package-lock.json after `npm install` on a registry mirror
 * that serves only this platform's native packages: npm then leaves the
 * other platforms' optional packages (rollup's native builds) out of the
 * lock, and `npm ci` refuses the lock as out of sync.  Each missing
 * optional package is added as an optional entry with the os/cpu its name
 * states, so `npm ci` skips it on every other platform exactly as it would
 * with a lock written against the full registry.  Run: node tools/complete-lock.mjs */
import { readFileSync, writeFileSync } from 'node:fs';

const file = new URL('../package-lock.json', import.meta.url);
const lock = JSON.parse(readFileSync(file, 'utf8'));
const OS = { android: 'android', darwin: 'darwin', freebsd: 'freebsd', linux: 'linux', openbsd: 'openbsd', openharmony: 'openharmony', win32: 'win32', netbsd: 'netbsd', sunos: 'sunos', aix: 'aix' };
const CPU = { arm: 'arm', arm64: 'arm64', x64: 'x64', ia32: 'ia32', loong64: 'loong64', ppc64: 'ppc64', riscv64: 'riscv64', s390x: 's390x' };
let added = 0;
for (const [path, pkg] of Object.entries(lock.packages)) {
  for (const [name, version] of Object.entries(pkg.optionalDependencies || {})) {
    const key = `node_modules/${name}`;
    if (lock.packages[key]) continue;
    const parts = name.split('/').pop().split('-');
    const os = parts.find((p) => OS[p]);
    const cpu = parts.find((p) => CPU[p]);
    if (!os || !cpu) { console.error(`complete-lock: cannot tell the platform of ${name} (needed by ${path})`); process.exitCode = 1; continue; }
    const e = { version, optional: true, os: [os], cpu: [cpu] };
    if (os === 'linux') e.libc = [parts.some((p) => p.startsWith('musl')) ? 'musl' : 'glibc'];
    lock.packages[key] = e;
    added++;
  }
}
lock.packages = Object.fromEntries(Object.entries(lock.packages).sort(([a], [b]) => (a === '' ? -1 : b === '' ? 1 : a < b ? -1 : 1)));
writeFileSync(file, `${JSON.stringify(lock, null, 2)}\n`);
console.log(`complete-lock: ${added} optional platform entries added`);
