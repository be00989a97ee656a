#!/usr/bin/env -S MALLOC_ARENA_MAX=2 node --optimize-for-size --max-semi-space-size=1 --no-maglev
// The `dcmx` command. It runs the compiled build (node/dist, made by `npm run build -w @dcmx/node`, which
// scripts/setup.sh runs after installing) when that build is newer than every source it was made from, else the
// TypeScript sources (so an edit takes effect at once). The build starts ~50 ms sooner: Node loads no type stripper
// and our modules come as a few chunks. DCMX_FROM_SRC=1 forces the sources. Plain JavaScript, so Node strips nothing
// to run this file either.
import { readdirSync, statSync } from 'node:fs'

const here = new URL('..', import.meta.url)
const built = new URL('dist/main.js', here)

/** Newest modification time among the sources the build bundles (0 when a path is missing). */
function newestSource() {
  let newest = 0
  const mtime = (url) => {
    try {
      newest = Math.max(newest, statSync(url).mtimeMs)
    } catch {}
  }
  mtime(new URL('package.json', here))
  mtime(new URL('../deployments/index.ts', here))
  const src = new URL('src/', here)
  for (const e of readdirSync(src, { recursive: true, withFileTypes: true })) {
    if (e.isFile()) mtime(new URL(`${e.parentPath}/${e.name}`, 'file://'))
  }
  return newest
}

function builtIsFresh() {
  if (process.env.DCMX_FROM_SRC === '1') return false
  try {
    return statSync(built).mtimeMs >= newestSource()
  } catch {
    return false
  }
}

await import(builtIsFresh() ? built.href : new URL('src/cli/main.ts', here).href)
