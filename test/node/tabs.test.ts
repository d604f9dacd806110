// steadysocket/tabs from the built package in Node: importing it reads no browser global (not
// even `BroadcastChannel`, which Node has), and without `navigator.locks` a TabSocket is a plain
// SteadySocket against a real `ws` server.
import { existsSync } from 'node:fs'
import { afterEach, describe, expect, test } from 'vitest'
import { cjsRequire, esmImport, root, runWithTraps } from '../support/import-traps'
import { WebSocket } from 'ws'
import { startFaultServer, waitFor, type FaultServer } from '../support/fault-server.mjs'
import { TOOL_TIMEOUT } from './timeouts'

const dist = (file: string) => `${root}dist/${file}`

describe('steadysocket/tabs, built', { timeout: TOOL_TIMEOUT }, () => {
  let server: FaultServer | undefined

  afterEach(async () => {
    await server?.close()
    server = undefined
  })

  test('the build exists (run npm run build first)', () => {
    expect(existsSync(dist('tabs.js')), 'dist/tabs.js is missing: run `npm run build`').toBe(true)
  })

  test('ESM import reads no browser global, writes none and calls no Math.random', () => {
    const r = runWithTraps(esmImport(dist('tabs.js')), ['BroadcastChannel'])
    expect(r).toEqual({ touched: [], added: [], exports: ['TabSocket'] })
  })

  test('CJS require reads no browser global, writes none and calls no Math.random', () => {
    const r = runWithTraps(cjsRequire(dist('tabs.cjs')), ['BroadcastChannel'])
    expect(r).toEqual({ touched: [], added: [], exports: ['TabSocket'] })
  })

  test('without navigator.locks it is a plain SteadySocket against a real server', async () => {
    const { TabSocket } = await import('steadysocket/tabs')
    server = await startFaultServer()
    const socket = new TabSocket<string, string>(`${server.url}/echo`, { WebSocket })
    // Node 20 has no navigator.locks: the fallback owns its socket from the start. (Where Node
    // has both APIs, the one tab of the group leads once its lock is granted.)
    if (!('navigator' in globalThis)) expect(socket.isLeader).toBe(true)
    const got: string[] = []
    socket.on('message', (m) => got.push(m))
    await socket.opened({ timeout: 5000 })
    expect(socket.isLeader).toBe(true)
    expect(socket.send('ping?')).toBe('sent')
    await waitFor(() => got.length === 1, { timeout: 5000 })
    expect(got).toEqual(['ping?'])
    expect(server.liveConnections).toBe(1)
    socket.dispose()
    await waitFor(() => server!.liveConnections === 0, { timeout: 5000 })
  })
})
