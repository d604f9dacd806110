// Where the time of `resume` goes: for SteadySocket with and without resume, one throughput run
// at a time (send, or receive), with the CPU time each process spent on it read from /proc (the
// tab's renderer, Chromium's network service) and from process.cpuUsage() (the Node server: this
// process). Alternates plain and resume, `--rounds` times. Not part of `npm run bench`.
//
//   npm run build && node bench/profile-resume.mjs [--n=100000] [--rounds=3]
import { readFileSync } from 'node:fs'
import { loadavg } from 'node:os'
import { launch, tabProcesses } from './lib/chromium.mjs'
import { RESUME } from './lib/libs.mjs'
import { pageBundle, startServer } from './lib/server.mjs'

const arg = (name, fallback) =>
  Number(process.argv.find((a) => a.startsWith(`--${name}=`))?.split('=')[1] ?? fallback)
const n = arg('n', 100_000)
const rounds = arg('rounds', 3)

const server = await startServer({ bundle: await pageBundle() })
const browser = await launch()

/** CPU ms (user + system) of a process so far; /proc/PID/stat counts in clock ticks of 10 ms. */
function cpuMs(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  return (Number(f[11]) + Number(f[12])) * 10
}

const CASES = [
  { name: 'send', lib: 'steadysocket', direction: 'send' },
  { name: 'send', lib: RESUME, direction: 'send' },
  { name: 'receive, pre-encoded', lib: 'steadysocket', direction: 'receive', path: '/blast' },
  { name: 'receive, pre-encoded', lib: RESUME, direction: 'receive', path: '/blast-raw' },
  {
    name: 'receive, ws.send() each',
    lib: 'steadysocket',
    direction: 'receive',
    path: '/blast-send',
  },
  { name: 'receive, ws.send() each', lib: RESUME, direction: 'receive', path: '/blast' },
]

console.log(`n = ${n}, load average ${loadavg()[0].toFixed(2)}; CPU in µs per message`)
console.log(
  'case                      | library              |  msg/s | renderer | network | server',
)
try {
  for (let r = 0; r < rounds; r++) {
    for (const c of CASES) {
      let start
      const { url, result } = server.job(
        'throughputOne',
        { lib: c.lib, direction: c.direction, n, path: c.path },
        {
          ready: () => {
            const { renderer, network } = tabProcesses(browser.pid)
            start = {
              renderer,
              network,
              r: cpuMs(renderer),
              w: cpuMs(network),
              s: process.cpuUsage(),
            }
            return null
          },
        },
        120_000,
      )
      const close = await browser.newPage(url, { isolated: true })
      const out = await result
      const s = process.cpuUsage(start.s)
      const per = (ms) => ((ms * 1000) / n).toFixed(1).padStart(8)
      console.log(
        `${c.name.padEnd(25)} | ${c.lib.padEnd(20)} | ${String(Math.round(out.rate)).padStart(6)} | ` +
          `${per(cpuMs(start.renderer) - start.r)} | ${per(cpuMs(start.network) - start.w)} | ${per((s.user + s.system) / 1000)}`,
      )
      await close()
    }
  }
} finally {
  await browser.close()
  server.close()
}
