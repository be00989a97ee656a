/** A small line chart as a standalone SVG (no dependency: axes, ticks, a legend, optional log2 x axis). */

export interface Series {
  name: string
  points: Array<[number, number]>
  dashed?: boolean
}

export interface ChartOptions {
  title: string
  xLabel: string
  yLabel: string
  xLog?: boolean
  yMin?: number
  series: Series[]
  note?: string
}

const COLORS = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd', '#ff7f0e', '#17becf', '#7f7f7f']

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')
}

function niceStep(range: number, ticks: number): number {
  const raw = range / ticks
  const p = 10 ** Math.floor(Math.log10(raw))
  const m = raw / p
  return (m <= 1 ? 1 : m <= 2 ? 2 : m <= 5 ? 5 : 10) * p
}

function fmt(v: number): string {
  if (Math.abs(v) >= 1000) return `${Math.round(v / 100) / 10}k`.replace('.0k', 'k')
  return `${Math.round(v * 100) / 100}`
}

export function lineChart(o: ChartOptions): string {
  const W = 640
  const H = 400
  const L = 64
  const R = 170
  const T = 40
  const B = o.note ? 70 : 50
  const pw = W - L - R
  const ph = H - T - B
  const pts = o.series.flatMap((s) => s.points).filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y))
  const tx = (x: number): number => (o.xLog ? Math.log10(x) : x)
  const xs = pts.map(([x]) => tx(x))
  let x0 = Math.min(...xs)
  let x1 = Math.max(...xs)
  if (x0 === x1) {
    x0 -= 1
    x1 += 1
  }
  const ys = pts.map(([, y]) => y)
  let y0 = o.yMin ?? Math.min(0, ...ys)
  let y1 = Math.max(...ys)
  if (y0 === y1) y1 = y0 + 1
  const step = niceStep(y1 - y0, 5)
  y0 = Math.floor(y0 / step) * step
  y1 = Math.ceil(y1 / step) * step
  const px = (x: number): number => L + ((tx(x) - x0) / (x1 - x0)) * pw
  const py = (y: number): number => T + ph - ((y - y0) / (y1 - y0)) * ph
  const out: string[] = []
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="12">`)
  out.push(`<rect width="${W}" height="${H}" fill="white"/>`)
  out.push(`<text x="${W / 2}" y="22" text-anchor="middle" font-size="15" font-weight="bold">${esc(o.title)}</text>`)
  // y grid and ticks
  for (let y = y0; y <= y1 + step / 2; y += step) {
    out.push(`<line x1="${L}" x2="${L + pw}" y1="${py(y).toFixed(1)}" y2="${py(y).toFixed(1)}" stroke="#e5e5e5"/>`)
    out.push(`<text x="${L - 6}" y="${(py(y) + 4).toFixed(1)}" text-anchor="end">${fmt(y)}</text>`)
  }
  // x ticks: the data's x values
  for (const x of [...new Set(pts.map(([x]) => x))].sort((a, b) => a - b)) {
    out.push(`<line x1="${px(x).toFixed(1)}" x2="${px(x).toFixed(1)}" y1="${T + ph}" y2="${T + ph + 5}" stroke="#333"/>`)
    out.push(`<text x="${px(x).toFixed(1)}" y="${T + ph + 18}" text-anchor="middle">${fmt(x)}</text>`)
  }
  out.push(`<line x1="${L}" x2="${L}" y1="${T}" y2="${T + ph}" stroke="#333"/><line x1="${L}" x2="${L + pw}" y1="${T + ph}" y2="${T + ph}" stroke="#333"/>`)
  out.push(`<text x="${L + pw / 2}" y="${T + ph + 36}" text-anchor="middle">${esc(o.xLabel)}${o.xLog ? ' (log scale)' : ''}</text>`)
  out.push(`<text transform="translate(16 ${T + ph / 2}) rotate(-90)" text-anchor="middle">${esc(o.yLabel)}</text>`)
  o.series.forEach((s, i) => {
    const c = COLORS[i % COLORS.length]
    const p = s.points.filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y)).sort((a, b) => a[0] - b[0])
    if (p.length > 0) {
      out.push(`<polyline fill="none" stroke="${c}" stroke-width="2"${s.dashed ? ' stroke-dasharray="6 4"' : ''} points="${p.map(([x, y]) => `${px(x).toFixed(1)},${py(y).toFixed(1)}`).join(' ')}"/>`)
      if (!s.dashed) for (const [x, y] of p) out.push(`<circle cx="${px(x).toFixed(1)}" cy="${py(y).toFixed(1)}" r="3.5" fill="${c}"><title>${esc(s.name)}: ${fmt(x)} -&gt; ${fmt(y)}</title></circle>`)
    }
    const ly = T + 10 + i * 20
    out.push(`<line x1="${L + pw + 12}" x2="${L + pw + 36}" y1="${ly}" y2="${ly}" stroke="${c}" stroke-width="2"${s.dashed ? ' stroke-dasharray="6 4"' : ''}/>`)
    out.push(`<text x="${L + pw + 42}" y="${ly + 4}">${esc(s.name)}</text>`)
  })
  if (o.note) out.push(`<text x="${L}" y="${H - 12}" font-size="11" fill="#555">${esc(o.note)}</text>`)
  out.push('</svg>')
  return `${out.join('\n')}\n`
}
