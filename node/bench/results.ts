import { readFileSync } from 'node:fs'
import { mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

/** The committed snapshots live at the repo root: bench/results/<name>.{json,md}. */
const RESULTS = join(fileURLToPath(new URL('.', import.meta.url)), '..', '..', 'bench', 'results')

/** Prints `result` and, unless this is a BENCH_QUICK smoke run, writes it (and `markdown`, when given). */
export async function saveResults(name: string, result: unknown, markdown?: string): Promise<void> {
  process.stdout.write(`${JSON.stringify(result, null, 2)}\n`)
  if (markdown) process.stderr.write(markdown)
  if (process.env.BENCH_QUICK === '1') return
  await mkdir(RESULTS, { recursive: true })
  await writeFile(join(RESULTS, `${name}.json`), `${JSON.stringify(result, null, 2)}\n`)
  if (markdown) await writeFile(join(RESULTS, `${name}.md`), markdown)
}

/**
 * The node flags and environment of a `dcmx` entry point's shebang (`#!/usr/bin/env -S VAR=x node --flag ...`), so
 * a harness that spawns `node <flags> main.js` runs the node as operators run the bin. BENCH_NODE_FLAGS overrides
 * the flags.
 */
export function binLaunch(main: string): { flags: string[]; env: Record<string, string> } {
  const words = (/^#!.*?-S\s+(.*)$/m.exec(readFileSync(main, 'utf8').split('\n', 1)[0] as string)?.[1] ?? '').split(/\s+/).filter(Boolean)
  const at = words.indexOf('node')
  const env = Object.fromEntries(words.slice(0, Math.max(0, at)).map((w) => w.split('=', 2) as [string, string]))
  const flags = process.env.BENCH_NODE_FLAGS !== undefined ? process.env.BENCH_NODE_FLAGS.split(' ').filter(Boolean) : words.slice(at + 1)
  return { flags, env }
}
