/**
 * First-load JS per route of the production build, gzipped (what a browser downloads before the page is
 * interactive), from Next's own route bundle stats (.next/diagnostics/route-bundle-stats.json). Run after
 * `npm run build -w @dcmx/web`. Target: the listen page (/) <= 200 kB gzipped.
 */
import { readFileSync, writeFileSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { gzipSync } from 'node:zlib'

const web = resolve(dirname(fileURLToPath(import.meta.url)), '..')
const results = resolve(web, '..', 'bench', 'results')
const TARGET_KB = 200

type RouteStats = { route: string; firstLoadUncompressedJsBytes: number; firstLoadChunkPaths: string[] }
const stats = JSON.parse(readFileSync(join(web, '.next', 'diagnostics', 'route-bundle-stats.json'), 'utf8')) as RouteStats[]
const gz = new Map<string, number>()
const gzipped = (p: string) => {
  if (!gz.has(p)) gz.set(p, gzipSync(readFileSync(join(web, p)), { level: 9 }).length)
  return gz.get(p)!
}
const routes = stats
  .map((r) => ({ route: r.route, raw_kb: +(r.firstLoadUncompressedJsBytes / 1000).toFixed(1), gzip_kb: +(r.firstLoadChunkPaths.reduce((s, p) => s + gzipped(p), 0) / 1000).toFixed(1) }))
  .sort((a, b) => a.route.localeCompare(b.route))
const listen = routes.find((r) => r.route === '/')!
const out = { bench: 'web-first-load', date: new Date().toISOString(), target_listen_gzip_kb: TARGET_KB, listen_gzip_kb: listen.gzip_kb, listen_meets_target: listen.gzip_kb <= TARGET_KB, routes }
writeFileSync(join(results, 'web-first-load.json'), `${JSON.stringify(out, null, 2)}\n`)
console.log('route                first-load JS (kB, raw)   gzipped')
for (const r of routes) console.log(`${r.route.padEnd(20)} ${String(r.raw_kb).padStart(12)} ${String(r.gzip_kb).padStart(16)}`)
console.log(`listen page: ${listen.gzip_kb} kB gzipped (target <= ${TARGET_KB}): ${listen.gzip_kb <= TARGET_KB ? 'met' : 'MISSED'}`)
