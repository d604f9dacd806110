import { spawn } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { afterEach, describe, expect, it } from 'vitest'
import { WebSocket } from 'ws'
import { startDemoServer } from '../../examples/echo/server.mjs'
import type { FaultServer } from '../support/fault-server.mjs'
import { STARTUP_TIMEOUT, TOOL_TIMEOUT } from './timeouts'

const SCRIPT = fileURLToPath(new URL('../../examples/echo/server.mjs', import.meta.url))
const PORT_FREE = fileURLToPath(new URL('../../examples/port-free.mjs', import.meta.url))

const children: ChildProcess[] = []
const servers: FaultServer[] = []

afterEach(async () => {
  for (const child of children.splice(0)) if (child.exitCode === null) child.kill('SIGKILL')
  for (const server of servers.splice(0)) await server.close()
})

interface Run {
  child: ChildProcess
  stdout: () => string
  stderr: () => string
  exited: Promise<number | null>
}

function run(env: Record<string, string>, args = [SCRIPT]): Run {
  const child = spawn(process.execPath, args, {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  children.push(child)
  let stdout = ''
  let stderr = ''
  child.stdout?.on('data', (chunk: Buffer) => (stdout += chunk.toString()))
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()))
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code) => resolve(code)),
  )
  return { child, stdout: () => stdout, stderr: () => stderr, exited }
}

async function until(check: () => boolean, timeout: number): Promise<void> {
  const deadline = Date.now() + timeout
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`not within ${timeout} ms`)
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
}

describe('echo demo server', { timeout: TOOL_TIMEOUT }, () => {
  it('serves the page, its assets, the bundle route and the echo socket', async () => {
    const server = await startDemoServer({
      port: 0,
      bundle: '/nonexistent/steadysocket.umd.min.js',
    })
    servers.push(server)
    const page = await fetch(`${server.httpUrl}/`)
    expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8')
    const html = await page.text()
    expect(html).toContain('<script src="/steadysocket.umd.min.js"></script>')
    expect(html).not.toMatch(/https?:\/\//) // no CDN, font or other external resource
    expect((await fetch(`${server.httpUrl}/demo.js`)).headers.get('content-type')).toMatch(
      /^text\/javascript/,
    )
    expect((await fetch(`${server.httpUrl}/demo.css`)).headers.get('content-type')).toMatch(
      /^text\/css/,
    )
    const bundle = await fetch(`${server.httpUrl}/steadysocket.umd.min.js`)
    expect(bundle.status).toBe(404)
    expect(await bundle.text()).toContain('run `npm run build` first')
  })

  it('prints the URL, and stops with exit code 0 on SIGINT', async () => {
    const demo = run({ PORT: '0', HOST: '127.0.0.1' })
    await until(() => /open http:\/\/127\.0\.0\.1:\d+\//.test(demo.stdout()), STARTUP_TIMEOUT)
    const port = Number(/:(\d+)\//.exec(demo.stdout())![1])
    expect((await fetch(`http://127.0.0.1:${port}/control/state`)).status).toBe(200)
    demo.child.kill('SIGINT')
    expect(await demo.exited).toBe(0)
  })

  it('stops with exit code 0 on SIGTERM while a socket is open', async () => {
    const demo = run({ PORT: '0' })
    await until(() => /:\d+\//.test(demo.stdout()), STARTUP_TIMEOUT)
    const port = Number(/:(\d+)\//.exec(demo.stdout())![1])
    const socket = new WebSocket(`ws://127.0.0.1:${port}/echo`)
    await new Promise((resolve, reject) => {
      socket.once('open', resolve)
      socket.once('error', reject)
    })
    const closed = new Promise((resolve) => socket.once('close', resolve))
    demo.child.kill('SIGTERM')
    expect(await demo.exited).toBe(0)
    await closed
  })

  it('explains a busy port in one line and exits 1', async () => {
    const busy = await startDemoServer({ port: 0 })
    servers.push(busy)
    const demo = run({ PORT: String(busy.port) })
    expect(await demo.exited).toBe(1)
    expect(demo.stderr()).toBe(
      `Port ${busy.port} is busy: set PORT=${busy.port + 2} (or stop the other process)\n`,
    )
  })

  it('checks the port before npm run demo builds (a running demo keeps its dist/)', async () => {
    const busy = await startDemoServer({ port: 0 })
    servers.push(busy)
    const taken = run({ PORT: String(busy.port) }, [PORT_FREE, '10000'])
    expect(await taken.exited).toBe(1)
    expect(taken.stderr()).toBe(
      `Port ${busy.port} is busy: set PORT=${busy.port + 2} (or stop the other process)\n`,
    )
    await busy.close()
    servers.pop()
    const free = run({ PORT: String(busy.port) }, [PORT_FREE, '10000'])
    expect(await free.exited).toBe(0)
  })
})
