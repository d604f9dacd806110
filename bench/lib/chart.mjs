// The results as one SVG: a grid of small horizontal bar charts, one per measurement, with
// min–max whiskers where there were repetitions. Hand-written SVG, no chart library.
import { LIBS, RESUME } from './libs.mjs'

const W = 980
const COLS = 2
const PANEL_W = W / COLS
const ROW_H = 19
const HEAD = 44
const LABEL_W = 168
const VALUE_W = 86
const BAR_W = PANEL_W - LABEL_W - VALUE_W - 24
const COLOR = { steadysocket: '#2563eb', native: '#374151', [RESUME]: '#0d9488' }
/** Row labels that differ from the library's id. */
const NAME = { [RESUME]: 'steadysocket, resume' }
const GREY = '#9ca3af'

const esc = (s) => String(s).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')
const text = (x, y, s, attrs = '') => `<text x="${x}" y="${y}" ${attrs}>${esc(s)}</text>`
const fmt = (x, d) =>
  x === null || x === undefined || Number.isNaN(x)
    ? '–'
    : x.toLocaleString('en-US', { minimumFractionDigits: d, maximumFractionDigits: d })

/**
 * One panel. rows: [{ lib, value, min?, max?, label?, segments? }]; segments (stacked):
 * [{ value, color }]. `ref`: a vertical reference line (e.g. 1× native).
 */
function panel(
  x,
  y,
  { title, note, rows, digits = 0, unit = '', ref = null, max: fixedMax, zoom },
) {
  const h = HEAD + rows.length * ROW_H + 10
  const top = [...rows.flatMap((r) => [r.max ?? r.value ?? 0, r.value ?? 0]), ref ?? 0]
  let max = fixedMax ?? Math.max(...top.filter(Number.isFinite), 1e-9) * 1.05
  // zoom: the axis ends at `zoom` × the largest median; longer whiskers are cut at the edge.
  if (zoom)
    max = Math.min(max, zoom * Math.max(...rows.map((r) => r.value).filter(Number.isFinite)))
  const sx = (v) => (Math.min(max, Math.max(0, v)) / max) * BAR_W
  const out = [`<g transform="translate(${x},${y})">`]
  out.push(
    `<rect x="6" y="6" width="${PANEL_W - 12}" height="${h - 12}" rx="6" fill="#f9fafb" stroke="#e5e7eb"/>`,
  )
  out.push(text(18, 26, title, 'font-weight="600" font-size="13"'))
  if (note) out.push(text(18, 40, note, 'font-size="10.5" fill="#6b7280"'))
  rows.forEach((r, i) => {
    const ry = HEAD + i * ROW_H
    const color = COLOR[r.lib] ?? GREY
    const bold = r.lib === 'steadysocket' ? ' font-weight="600"' : ''
    out.push(
      text(LABEL_W - 6, ry + 12, NAME[r.lib] ?? r.lib, `text-anchor="end" font-size="11.5"${bold}`),
    )
    if (r.segments) {
      let at = 0
      for (const s of r.segments) {
        out.push(
          `<rect x="${LABEL_W + sx(at)}" y="${ry + 2}" width="${sx(s.value)}" height="${ROW_H - 6}" fill="${s.color}"/>`,
        )
        at += s.value
      }
    } else if (Number.isFinite(r.value)) {
      out.push(
        `<rect x="${LABEL_W}" y="${ry + 2}" width="${Math.max(1, sx(r.value))}" height="${ROW_H - 6}" rx="2" fill="${color}"/>`,
      )
      if (Number.isFinite(r.min) && Number.isFinite(r.max) && r.max > r.min) {
        const cy = ry + ROW_H / 2 - 1
        out.push(
          `<path d="M${LABEL_W + sx(r.min)} ${cy}H${LABEL_W + sx(r.max)}M${LABEL_W + sx(r.min)} ${cy - 4}v8M${LABEL_W + sx(r.max)} ${cy - 4}v8" stroke="#111827" stroke-width="1" fill="none"/>`,
        )
      }
    }
    const label = r.label ?? (Number.isFinite(r.value) ? `${fmt(r.value, digits)}${unit}` : '–')
    out.push(text(LABEL_W + BAR_W + 8, ry + 12, label, `font-size="11.5"${bold}`))
  })
  if (ref !== null) {
    const rx = LABEL_W + sx(ref)
    out.push(
      `<path d="M${rx} ${HEAD - 4}V${HEAD + rows.length * ROW_H}" stroke="#ef4444" stroke-dasharray="3 3"/>`,
    )
  }
  out.push('</g>')
  return { svg: out.join(''), h }
}

const bar = (lib, s, extra = {}) => ({
  lib,
  value: s?.median ?? NaN,
  min: s?.min,
  max: s?.max,
  ...extra,
})

export function renderChart(r) {
  const panels = []
  if (r.size) {
    panels.push({
      title: 'Size: smallest import that constructs a socket',
      note: 'esbuild, minified, gzip -9 (KB; lower is smaller)',
      digits: 2,
      unit: ' KB',
      rows: LIBS.filter((l) => l !== 'native').map((l) => {
        const s = r.size.find((x) => x.name === l)
        return { lib: l, value: s ? s.gzip / 1024 : NaN }
      }),
    })
  }
  if (r.cost) {
    panels.push({
      title: 'Time per send() call, ratio to native',
      note: 'tight loop, 64 B, same tab, per-round ratio (lower is cheaper)',
      digits: 2,
      unit: '×',
      ref: 1,
      zoom: 1.6,
      rows: LIBS.map((l) => bar(l, r.cost.perSendRatio[l])),
    })
    panels.push({
      title: 'Time per received message, ratio to native',
      note: 'frame dispatched to the user callback (lower is cheaper)',
      digits: 2,
      unit: '×',
      ref: 1,
      zoom: 1.6,
      rows: LIBS.map((l) => bar(l, r.cost.perDispatchRatio[l])),
    })
  }
  if (r.throughput) {
    panels.push({
      title: `Send throughput, ${fmt(r.throughput.n)} × 64 B`,
      note: 'msg/s until the server has all (higher is faster; ±20 % run to run)',
      rows: [
        ...LIBS.map((l) => bar(l, r.throughput.send[l].msgPerS)),
        ...(r.resume?.throughput ? [bar(RESUME, r.resume.throughput.send.resume)] : []),
      ],
    })
    panels.push({
      title: `Receive throughput, ${fmt(r.throughput.n)} × 64 B`,
      note: 'msg/s to the library’s message callback (higher is faster)',
      rows: [
        ...LIBS.map((l) => bar(l, r.throughput.receive[l].msgPerS)),
        ...(r.resume?.throughput ? [bar(RESUME, r.resume.throughput.receive.resume)] : []),
      ],
    })
  }
  if (r.large) {
    panels.push({
      title: `Large transfer to a slow reader: ${fmt(r.config.large.total / 2 ** 20)} MiB`,
      note: 'peak renderer memory growth, MiB (lower is better)',
      digits: 1,
      unit: ' MiB',
      rows: LIBS.map((l) => bar(l, r.large[l].rendererMiB)),
    })
  }
  if (r.chaos) {
    const n = r.chaos.n
    panels.push({
      title: `Chaos: ${fmt(n)} sends, same seeded faults for each`,
      note: 'delivered (green) / reported to the caller (amber) / lost silently (red)',
      max: n,
      rows: Object.keys(r.chaos.libs).map((l) => {
        const x = r.chaos.libs[l]
        const d = x.delivered.median ?? 0
        const rep = x.reported.median ?? 0
        const lost = x.lost.median ?? 0
        return {
          lib: l,
          segments: [
            { value: d, color: '#16a34a' },
            { value: rep, color: '#f59e0b' },
            { value: lost, color: '#dc2626' },
          ],
          label: `${fmt((d / n) * 100, 0)} % / ${fmt((lost / n) * 100, 0)} % lost`,
        }
      }),
    })
  }
  if (r.offline) {
    panels.push({
      title: `Offline queue: ${fmt(r.config.offline.n)} sends while the server is down`,
      note: 'messages that arrived once it came up (all in order where any did)',
      max: r.config.offline.n,
      rows: LIBS.map((l) => bar(l, r.offline[l].arrived)),
    })
  }
  if (r.reconnect?.defaults) {
    const rows = LIBS.filter((l) => l !== 'native').map((l) => {
      const x = r.reconnect.defaults[l]
      return x.never === x.trials ? { lib: l, value: NaN, label: 'never' } : bar(l, x.ms)
    })
    panels.push({
      title: 'Reconnect after a server-side terminate, defaults',
      note: 'ms from terminate to the next connection (lower is sooner)',
      unit: ' ms',
      rows,
    })
  }
  if (r.reconnect?.fast) {
    panels.push({
      title: 'Reconnect after a server-side terminate, fastest setting',
      note: 'ms from terminate to the next connection (lower is sooner)',
      digits: 1,
      unit: ' ms',
      rows: LIBS.filter((l) => l !== 'native').map((l) => bar(l, r.reconnect.fast[l].ms)),
    })
  }
  if (r.leak) {
    panels.push({
      title: `Heap growth after ${fmt(r.config.leak.cycles)} drop/reconnect cycles`,
      note: 'JS heap after forced GC, KiB (near 0 = no leak; noise ≈ ±20 KiB)',
      unit: ' KiB',
      rows: LIBS.map((l) => ({ lib: l, value: r.leak[l].heapGrowthKiB })),
    })
  }
  const parts = []
  let y = 64
  for (let i = 0; i < panels.length; i += COLS) {
    const row = panels.slice(i, i + COLS).map((p, k) => panel(k * PANEL_W, y, p))
    parts.push(...row.map((p) => p.svg))
    y += Math.max(...row.map((p) => p.h))
  }
  const height = y + 30
  const subtitle = `${r.chromium ?? 'Chromium'} headless, ${r.machine.cpus} × ${r.machine.cpu}, loopback ws server, ${r.date}${r.quick ? ' (quick run)' : ''}`
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${height}" viewBox="0 0 ${W} ${height}" font-family="system-ui, -apple-system, Segoe UI, Helvetica, Arial, sans-serif" fill="#111827">`,
    `<rect width="${W}" height="${height}" fill="#ffffff"/>`,
    text(
      16,
      28,
      'steadysocket and its peers, side by side in real Chromium',
      'font-size="17" font-weight="700"',
    ),
    text(16, 48, subtitle, 'font-size="11.5" fill="#4b5563"'),
    ...parts,
    text(
      16,
      height - 12,
      'Bars: median; whiskers: min–max over repetitions (cut at the edge in the ratio panels). Generated by bench/run.mjs (npm run bench).',
      'font-size="10.5" fill="#6b7280"',
    ),
    '</svg>',
    '',
  ].join('\n')
}
