/**
 * Bundles the streaming service worker (sw/stream-sw.ts and what it imports: web/lib/stream, viem, zod, the
 * deployments' ABIs) into public/stream-sw.js: one classic script (IIFE), minified, for browsers that register it
 * without `type: 'module'`. Run by `npm run build` before `next build`; the output is generated (gitignored).
 */
import { mkdir } from 'node:fs/promises'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

import { build } from 'esbuild'
import type { Plugin } from 'esbuild'

const web = join(dirname(fileURLToPath(import.meta.url)), '..')
const outfile = join(web, 'public', 'stream-sw.js')
const zodDir = dirname(createRequire(join(web, 'package.json')).resolve('zod'))

/**
 * zod's `z` namespace re-exports every locale (~260 kB minified) although only English is configured by default and
 * the worker never switches: give zod a locales module with English alone.
 */
const englishOnlyZod: Plugin = {
  name: 'zod-english-only',
  setup(b) {
    b.onResolve({ filter: /\/locales\/index\.js$/ }, (args) => (args.importer.startsWith(join(zodDir, 'v4')) ? { path: 'zod-locales-en', namespace: 'zod-en' } : undefined))
    b.onLoad({ filter: /.*/, namespace: 'zod-en' }, () => ({ contents: `export { default as en } from ${JSON.stringify(join(zodDir, 'v4/locales/en.js'))}`, loader: 'js', resolveDir: zodDir }))
  },
}

await mkdir(dirname(outfile), { recursive: true })
const result = await build({
  entryPoints: [join(web, 'sw', 'stream-sw.ts')],
  outfile,
  bundle: true,
  format: 'iife',
  platform: 'browser',
  target: ['chrome120', 'firefox120', 'safari17'],
  minify: true,
  sourcemap: false,
  legalComments: 'none',
  // One zod for the web package and @dcmx/node/api (npm installs a copy in each workspace).
  alias: { zod: zodDir },
  plugins: [englishOnlyZod],
  metafile: true,
  logLevel: 'warning',
})
const bytes = Object.values(result.metafile.outputs).reduce((n, o) => n + o.bytes, 0)
console.log(`build-sw: ${outfile} (${(bytes / 1024).toFixed(1)} kB)`)
