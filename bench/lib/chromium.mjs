// Headless Chromium started directly, driven over the DevTools protocol on a pipe at the browser
// level only: targets are created and closed, but no measured page is ever attached to, so no
// DevTools agent (Network in particular) instruments the pages. Pages report over HTTP.
import { spawn } from 'node:child_process'
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { chromiumOnce, describeChromium } from '../../scripts/find-chromium.mjs'

const FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--no-default-browser-check',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-extensions',
  '--disable-default-apps',
  '--mute-audio',
  // Background tabs must not be throttled: several measured pages run side by side.
  '--disable-background-timer-throttling',
  '--disable-renderer-backgrounding',
  '--disable-backgrounding-occluded-windows',
  '--enable-precise-memory-info',
  '--js-flags=--expose-gc',
  // No spare renderer warming up in the background while memory is sampled.
  '--disable-features=SpareRendererForSitePerProcess',
  '--remote-debugging-pipe',
]

/**
 * Starts the Chromium the tests use ($CHROMIUM_PATH, the system's, or @sparticuz/chromium's; see
 * scripts/find-chromium.mjs); returns { cdp(method, params), newPage(url, { isolated }), pids(),
 * found, close() }, `found` saying which browser it is.
 */
export async function launch() {
  const chromium = await chromiumOnce()
  const profile = mkdtempSync(join(tmpdir(), 'steadysocket-bench-'))
  const proc = spawn(chromium.path, [...FLAGS, `--user-data-dir=${profile}`, 'about:blank'], {
    env: { ...process.env, ...chromium.env },
    stdio: ['ignore', 'ignore', 'ignore', 'pipe', 'pipe'],
  })
  const toBrowser = proc.stdio[3]
  const fromBrowser = proc.stdio[4]
  let nextId = 1
  const pending = new Map()
  let buffer = ''
  fromBrowser.setEncoding('utf8')
  fromBrowser.on('data', (chunk) => {
    buffer += chunk
    for (let i = buffer.indexOf('\0'); i >= 0; i = buffer.indexOf('\0')) {
      const message = JSON.parse(buffer.slice(0, i))
      buffer = buffer.slice(i + 1)
      const waiter = message.id !== undefined && pending.get(message.id)
      if (!waiter) continue
      pending.delete(message.id)
      if (message.error) waiter.reject(new Error(`${waiter.method}: ${message.error.message}`))
      else waiter.resolve(message.result)
    }
  })
  let exited = false
  // Never leave a browser behind, whatever way this process ends.
  const killOnExit = () => proc.kill('SIGKILL')
  process.once('exit', killOnExit)
  proc.on('exit', () => {
    process.off('exit', killOnExit)
    exited = true
    for (const w of pending.values()) w.reject(new Error('Chromium exited'))
    pending.clear()
  })
  const cdp = (method, params = {}) =>
    new Promise((resolve, reject) => {
      if (exited) return reject(new Error('Chromium exited'))
      const id = nextId++
      const timer = setTimeout(() => {
        pending.delete(id)
        reject(new Error(`${method}: no answer within 20 s`))
      }, 20_000)
      pending.set(id, {
        method,
        resolve: (r) => (clearTimeout(timer), resolve(r)),
        reject: (e) => (clearTimeout(timer), reject(e)),
      })
      toBrowser.write(JSON.stringify({ id, method, params }) + '\0')
    })
  await cdp('Browser.getVersion')

  return {
    cdp,
    pid: proc.pid,
    found: describeChromium(chromium),
    async version() {
      return (await cdp('Browser.getVersion')).product
    },
    /**
     * Opens `url` in a new tab. `isolated`: in a new browser context, so in a renderer process
     * of its own (fresh heap, fresh per-renderer WebSocket throttling). Returns close().
     */
    async newPage(url, { isolated = false } = {}) {
      const ctx = isolated ? (await cdp('Target.createBrowserContext')).browserContextId : undefined
      const { targetId } = await cdp('Target.createTarget', {
        url,
        ...(ctx ? { browserContextId: ctx } : {}),
      })
      return async () => {
        await cdp('Target.closeTarget', { targetId }).catch(() => {})
        if (ctx)
          await cdp('Target.disposeBrowserContext', { browserContextId: ctx }).catch(() => {})
      }
    },
    /** Starts sampling the resident memory of Chromium's process tree. */
    sampleMemory(everyMs) {
      return memorySampler(proc.pid, everyMs)
    },
    async close() {
      try {
        await Promise.race([cdp('Browser.close'), new Promise((r) => setTimeout(r, 2000))])
      } catch {
        // already gone
      }
      if (!exited) proc.kill('SIGKILL')
      await new Promise((r) => (exited ? r() : proc.once('exit', r)))
      // Child processes may still be writing to the profile for a moment after the browser exits.
      try {
        rmSync(profile, { recursive: true, force: true, maxRetries: 5, retryDelay: 200 })
      } catch {
        // a temp dir left behind is harmless
      }
    },
  }
}

const PAGE = 4096

/** Pids of a process and all its descendants (from /proc; Linux only). */
export function processTree(root) {
  const children = new Map()
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue
    let stat
    try {
      stat = readFileSync(`/proc/${name}/stat`, 'utf8')
    } catch {
      continue
    }
    const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1])
    if (!children.has(ppid)) children.set(ppid, [])
    children.get(ppid).push(Number(name))
  }
  const out = []
  const stack = [root]
  while (stack.length) {
    const pid = stack.pop()
    out.push(pid)
    stack.push(...(children.get(pid) ?? []))
  }
  return out
}

/** Sum of private resident memory (resident minus file-backed/shared pages) of `pids`, in bytes. */
export function rssOf(pids) {
  let total = 0
  for (const pid of pids) {
    try {
      const f = readFileSync(`/proc/${pid}/statm`, 'utf8').split(' ')
      total += (Number(f[1]) - Number(f[2])) * PAGE
    } catch {
      // exited meanwhile
    }
  }
  return total
}

/** The newest renderer (the tab just opened) and the network service, among `root`'s processes. */
export function tabProcesses(root) {
  let renderer = null
  let newest = -1
  let network = null
  for (const pid of processTree(root)) {
    let cmd
    try {
      cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8')
    } catch {
      continue
    }
    if (cmd.includes('--utility-sub-type=network.mojom.NetworkService')) network = pid
    // Chromium's helpers rewrite their command line with spaces; the browser's own WebUI
    // renderers (--top-chrome-webui) are not tabs.
    if (cmd.includes('--top-chrome-webui')) continue
    const id = /--type=renderer\b[^]*?--renderer-client-id=(\d+)/.exec(cmd)?.[1]
    if (id !== undefined && Number(id) > newest) {
      newest = Number(id)
      renderer = pid
    }
  }
  return { renderer, network }
}

/**
 * Samples the private resident memory (RSS minus file-backed and shared pages) of the newest
 * tab's renderer and of the network service every `everyMs` until stop(), which returns the
 * baseline and the peak of each, in bytes. Other processes are left out: the browser's idle tab
 * and helper renderers drift by megabytes on their own.
 */
export function memorySampler(root, everyMs = 20) {
  const { renderer, network } = tabProcesses(root)
  const base = { renderer: rssOf([renderer]), network: rssOf([network]) }
  const peak = { ...base, total: base.renderer + base.network }
  const sample = () => {
    const r = rssOf([renderer])
    const n = rssOf([network])
    peak.renderer = Math.max(peak.renderer, r)
    peak.network = Math.max(peak.network, n)
    peak.total = Math.max(peak.total, r + n)
  }
  const timer = setInterval(sample, everyMs)
  return {
    stop() {
      clearInterval(timer)
      sample()
      return {
        renderer: peak.renderer - base.renderer,
        network: peak.network - base.network,
        total: peak.total - base.renderer - base.network,
      }
    },
  }
}
