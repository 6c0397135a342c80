/* Builds the residents' page into dist/ (the portal's web_root).  Hashed
 * assets get the portal's year-long cache; sw.js and index.html keep their
 * names.  The plugin writes sw.js with the list of files to precache. */
import { defineConfig } from 'vite';
import { readFileSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';

function serviceWorker() {
  let files = [];
  return {
    name: 'sonae-sw',
    generateBundle(_, bundle) {
      /* The app shell: the page and everything its first view loads; the
       * map chunk too, so the map opens offline around home. */
      files = Object.keys(bundle).filter((f) => !f.endsWith('.map') && !/^(hq\.html|assets\/hq-)/.test(f));
    },
    writeBundle(opts) {
      const shell = ['/', '/config.json', '/manifest.webmanifest', '/icon.svg', ...files.filter((f) => f !== 'index.html').map((f) => `/${f}`)];
      const version = createHash('sha256').update(shell.join('\n')).digest('hex').slice(0, 12);
      const src = readFileSync(new URL('./src/sw.js', import.meta.url), 'utf8')
        .replace('__VERSION__', version)
        .replace('__SHELL__', JSON.stringify(shell));
      writeFileSync(`${opts.dir}/sw.js`, src);
    },
  };
}

export default defineConfig({
  base: '/',
  build: {
    outDir: 'dist', emptyOutDir: true, target: 'es2019', assetsInlineLimit: 0, reportCompressedSize: false,
    /* Hex hashes of 16 characters: the portal recognises "name-HASH.ext"
     * as hashed (a year's cache) only when HASH is one run of letters and
     * digits; Vite's default base64url hashes may contain '-' or '_'. */
    rollupOptions: {
      /* The residents' page and the HQ dashboard (staff; not precached). */
      input: { index: 'index.html', hq: 'hq.html' },
      output: {
        hashCharacters: 'hex',
        entryFileNames: 'assets/[name]-[hash:16].js',
        chunkFileNames: 'assets/[name]-[hash:16].js',
        assetFileNames: 'assets/[name]-[hash:16][extname]',
      },
    },
  },
  plugins: [serviceWorker()],
});
