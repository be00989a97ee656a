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
