/**
 * A compiled node: `npm run build -w @dcmx/node` bundles src/cli/main.ts (and the hash worker) into plain
 * JavaScript in node/dist (`node node/dist/main.js start ...`). The same code as `dcmx` run from src, without
 * TypeScript at run time: Node does not load its type stripper (~18 MiB of RSS), and our modules and
 * @dcmx/deployments load as a few chunks. npm packages stay external (resolved from node_modules as from src);
 * each command and the node's optional parts are still separate chunks loaded on demand.
 */
import { readFile, rm } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

import { build } from 'esbuild'

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..')
const pkg = JSON.parse(await readFile(join(ROOT, 'package.json'), 'utf8')) as { dependencies: Record<string, string>; devDependencies: Record<string, string> }
const outdir = join(ROOT, 'dist')
/** viem is ESM without side effects: bundled, the node loads a fraction of it (accounts and utils alone are ~20 MiB). */
const BUNDLED = new Set(['viem', 'zod'])
await rm(outdir, { recursive: true, force: true })
await build({
  entryPoints: { main: join(ROOT, 'src/cli/main.ts'), 'hash-worker': join(ROOT, 'src/mesh/hash-worker.ts') },
  outdir,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node22',
  // npm dependencies stay imports, but for those bundled (tree-shaken ESM: only the functions the node calls load).
  external: Object.keys({ ...pkg.dependencies, ...pkg.devDependencies }).filter((d) => !BUNDLED.has(d)).flatMap((d) => [d, `${d}/*`]),
  chunkNames: 'chunks/[name]-[hash]',
  // V8 keeps every script's source in the heap (Function.prototype.toString): whitespace and syntax minified, the
  // bundled chunks take ~40 % less of it. Identifiers are kept, so stack traces stay readable.
  minifyWhitespace: true,
  minifySyntax: true,
  keepNames: true,
  logLevel: 'warning',
})
process.stderr.write(`built ${join(outdir, 'main.js')}\n`)
