import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { WebSocket } from 'ws'
import { startFaultServer, waitFor } from '../support/fault-server.mjs'
import type { FaultServer } from '../support/fault-server.mjs'

let server: FaultServer
const clients: WebSocket[] = []

beforeEach(async () => {
  server = await startFaultServer()
})

afterEach(async () => {
  for (const client of clients.splice(0)) client.terminate()
  await server.close()
})

function connect(path = '/echo'): WebSocket {
  const client = new WebSocket(`${server.url}${path}`)
  client.on('error', () => {}) // each test asserts on the events it expects
  clients.push(client)
  return client
}

function opened(client: WebSocket): Promise<void> {
  return new Promise((resolve, reject) => {
    client.once('open', () => resolve())
    client.once('close', (code) => reject(new Error(`closed with ${code} before opening`)))
  })
}

function closed(client: WebSocket): Promise<{ code: number; reason: string }> {
  return new Promise((resolve) => {
    client.once('close', (code, reason) => resolve({ code, reason: reason.toString() }))
  })
}

function nextMessage(client: WebSocket): Promise<{ data: string | Buffer; isBinary: boolean }> {
  return new Promise((resolve) => {
    client.once('message', (data, isBinary) => {
      const buffer = Buffer.isBuffer(data) ? data : Buffer.from(data as ArrayBuffer)
      resolve({ data: isBinary ? buffer : buffer.toString(), isBinary })
    })
  })
}

/** Resolves with `true` if `client` gets a message within `ms`, else `false`. */
function messageWithin(client: WebSocket, ms: number): Promise<boolean> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      client.off('message', onMessage)
      resolve(false)
    }, ms)
    const onMessage = () => {
      clearTimeout(timer)
      resolve(true)
    }
    client.once('message', onMessage)
  })
}

/** Connects and resolves with how the attempt ended: 'open' or the HTTP status of a rejection. */
function attempt(path = '/echo'): Promise<'open' | number> {
  return new Promise((resolve) => {
    const client = connect(path)
    client.once('open', () => resolve('open'))
    client.once('unexpected-response', (_req, res) => {
      resolve(res.statusCode ?? 0)
      res.resume()
    })
  })
}

async function post(path: string): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(`${server.httpUrl}${path}`, { method: 'POST' })
  return { status: response.status, body: (await response.json()) as Record<string, unknown> }
}

describe('fault server', () => {
  it('listens on 127.0.0.1 with a free port and reports its urls', () => {
    expect(server.port).toBeGreaterThan(0)
    expect(server.url).toBe(`ws://127.0.0.1:${server.port}`)
    expect(server.httpUrl).toBe(`http://127.0.0.1:${server.port}`)
  })

  it('echoes text and binary frames on /echo and logs them in order', async () => {
    const client = connect()
    await opened(client)
    const text = nextMessage(client)
    client.send('one')
    expect(await text).toEqual({ data: 'one', isBinary: false })
    const binary = nextMessage(client)
    client.send(Buffer.from([1, 2, 3]))
    expect(await binary).toEqual({ data: Buffer.from([1, 2, 3]), isBinary: true })

    expect(server.received).toEqual(['one', Buffer.from([1, 2, 3])])
    expect(server.connections).toHaveLength(1)
    expect(server.connections[0]).toMatchObject({
      id: 1,
      path: '/echo',
      open: true,
      receivedCount: 2,
    })
  })

  it('records but does not echo on other paths', async () => {
    const client = connect('/quiet?token=abc')
    await opened(client)
    const echoed = messageWithin(client, 200)
    client.send('hello')
    expect(await echoed).toBe(false)
    expect(server.connections[0]).toMatchObject({ path: '/quiet', received: ['hello'] })
  })

  it('counts total, live and concurrent connections', async () => {
    const a = connect()
    const b = connect()
    await Promise.all([opened(a), opened(b)])
    await waitFor(() => server.liveConnections === 2)
    a.close()
    await waitFor(() => server.liveConnections === 1)
    await opened(connect())
    await waitFor(() => server.liveConnections === 2)
    expect(server.totalConnections).toBe(3)
    expect(server.maxConcurrent).toBe(2)
    expect(server.connections.map((c) => c.open)).toEqual([false, true, true])
  })

  it('terminate() ends every connection without a closing handshake (1006)', async () => {
    const a = connect()
    const b = connect()
    await Promise.all([opened(a), opened(b)])
    await waitFor(() => server.liveConnections === 2)
    const ends = Promise.all([closed(a), closed(b)])
    expect(server.terminate()).toBe(2)
    expect((await ends).map((end) => end.code)).toEqual([1006, 1006])
    await waitFor(() => server.liveConnections === 0)
    expect(server.connections.map((c) => c.closeCode)).toEqual([1006, 1006])
  })

  it('closeAll() sends the code and reason', async () => {
    const client = connect()
    await opened(client)
    await waitFor(() => server.liveConnections === 1)
    const end = closed(client)
    server.closeAll(4001, 'maintenance')
    expect(await end).toEqual({ code: 4001, reason: 'maintenance' })
    await waitFor(() => server.connections[0]?.open === false)
    expect(server.connections[0]).toMatchObject({ closeCode: 4001, closeReason: 'maintenance' })
  })

  it('refuse() rejects upgrades with 503 until accept(), and keeps live connections', async () => {
    const survivor = connect()
    await opened(survivor)
    server.refuse()
    expect(await attempt()).toBe(503)
    expect(await attempt()).toBe(503)
    expect(survivor.readyState).toBe(WebSocket.OPEN)
    server.accept()
    expect(await attempt()).toBe('open')
    expect(server.totalConnections).toBe(2)
  })

  it('refuse(ms) accepts again after ms', async () => {
    server.refuse(150)
    expect(await attempt()).toBe(503)
    await new Promise((resolve) => setTimeout(resolve, 200))
    expect(await attempt()).toBe('open')
  })

  it('pauseReading() makes the client buffer grow until resumeReading()', async () => {
    const client = connect()
    await opened(client)
    server.pauseReading()
    const chunk = Buffer.alloc(1 << 20, 7)
    // The kernel absorbs a few MB on loopback; 16 MB is enough to back up into the client.
    for (let i = 0; i < 16; i++) client.send(chunk)
    await new Promise((resolve) => setTimeout(resolve, 100))
    expect(client.bufferedAmount).toBeGreaterThan(4 << 20)
    expect(server.receivedCount).toBe(0)

    server.resumeReading()
    await waitFor(() => server.receivedCount === 16 && client.bufferedAmount === 0, {
      timeout: 10_000,
    })
    expect(server.received.every((m) => Buffer.isBuffer(m) && m.length === 1 << 20)).toBe(true)
  }, 15_000)

  it('pauseReading() also holds connections opened while paused', async () => {
    server.pauseReading()
    const client = connect('/quiet')
    await opened(client)
    client.send('held')
    await new Promise((resolve) => setTimeout(resolve, 100))
    expect(server.receivedCount).toBe(0)
    server.resumeReading()
    await waitFor(() => server.receivedCount === 1)
    expect(server.received).toEqual(['held'])
  })

  it('silent() keeps TCP open but neither reads nor answers, until unsilent()', async () => {
    const client = connect()
    await opened(client)
    await waitFor(() => server.liveConnections === 1)
    server.silent()
    let ponged = false
    client.on('pong', () => (ponged = true))
    client.ping()
    const echoed = messageWithin(client, 300)
    client.send('anyone?')
    expect(server.send('from the server')).toBe(0)
    expect(await echoed).toBe(false)
    expect(ponged).toBe(false)
    expect(client.readyState).toBe(WebSocket.OPEN)
    expect(server.liveConnections).toBe(1)

    const late = nextMessage(client)
    server.unsilent()
    expect(await late).toEqual({ data: 'anyone?', isBinary: false })
    await waitFor(() => ponged)
  })

  it('delayHandshake(ms) holds each upgrade for ms', async () => {
    server.delayHandshake(250)
    const started = Date.now()
    await opened(connect())
    expect(Date.now() - started).toBeGreaterThanOrEqual(200)
    server.delayHandshake(0)
    const again = Date.now()
    await opened(connect())
    expect(Date.now() - again).toBeLessThan(200)
  })

  it('terminate() also kills upgrades held by delayHandshake()', async () => {
    server.delayHandshake(5_000)
    const client = connect()
    const end = closed(client)
    await waitFor(() => server.terminate() === 1, { timeout: 2000 })
    expect((await end).code).toBe(1006)
    expect(server.totalConnections).toBe(0)
  })

  it('send() writes to every live connection', async () => {
    const a = connect('/a')
    const b = connect('/b')
    await Promise.all([opened(a), opened(b)])
    await waitFor(() => server.liveConnections === 2)
    const got = Promise.all([nextMessage(a), nextMessage(b)])
    expect(server.send('news')).toBe(2)
    expect((await got).map((m) => m.data)).toEqual(['news', 'news'])
  })

  it('sendMalformed() makes the client fail the connection with 1002', async () => {
    const client = connect()
    await opened(client)
    await waitFor(() => server.liveConnections === 1)
    const failure = new Promise<string | undefined>((resolve) => {
      client.once('error', (error: NodeJS.ErrnoException) => resolve(error.code))
    })
    expect(server.sendMalformed()).toBe(1)
    expect(await failure).toBe('WS_ERR_INVALID_OPCODE')
    // The close code the client sent, as the server saw it.
    await waitFor(() => server.connections[0]?.open === false)
    expect(server.connections[0]?.closeCode).toBe(1002)
  })

  it('keeps at most logLimit messages and closed connections, with exact counters', async () => {
    const limited = await startFaultServer({ logLimit: 2 })
    try {
      for (let i = 0; i < 3; i++) {
        const client = new WebSocket(`${limited.url}/echo`)
        clients.push(client)
        await opened(client)
        client.send(`m${i}`)
        client.send(`n${i}`)
        await waitFor(() => limited.receivedCount === 2 * (i + 1))
        client.close()
        await waitFor(() => limited.liveConnections === 0)
      }
      expect(limited.received).toEqual(['m2', 'n2'])
      expect(limited.receivedCount).toBe(6)
      expect(limited.connections.map((c) => c.id)).toEqual([2, 3])
      expect(limited.totalConnections).toBe(3)
    } finally {
      await limited.close()
    }
  })

  it('close() ends live connections and stops listening', async () => {
    const client = connect()
    await opened(client)
    const end = closed(client)
    await server.close()
    expect((await end).code).toBe(1006)
    await expect(fetch(`${server.httpUrl}/control/state`)).rejects.toThrow()
  })
})

describe('fault server HTTP control', () => {
  it('GET /control/state reports connections and counts', async () => {
    const client = connect()
    await opened(client)
    client.send('x')
    await waitFor(() => server.receivedCount === 1)
    const response = await fetch(`${server.httpUrl}/control/state`)
    expect(response.headers.get('content-type')).toMatch(/^application\/json/)
    expect(await response.json()).toMatchObject({
      totalConnections: 1,
      liveConnections: 1,
      received: 1,
      refusing: false,
      paused: false,
      silent: false,
      connections: [{ id: 1, path: '/echo', open: true, received: 1, closeCode: null }],
    })
  })

  it('POST /control/drop terminates every connection', async () => {
    const client = connect()
    await opened(client)
    await waitFor(() => server.liveConnections === 1)
    const end = closed(client)
    expect((await post('/control/drop')).status).toBe(200)
    expect((await end).code).toBe(1006)
  })

  it('POST /control/down?ms= drops and refuses for ms', async () => {
    const client = connect()
    await opened(client)
    await waitFor(() => server.liveConnections === 1)
    const end = closed(client)
    const { status, body } = await post('/control/down?ms=300')
    expect(status).toBe(200)
    expect(body).toMatchObject({ refusing: true })
    expect((await end).code).toBe(1006)
    expect(await attempt()).toBe(503)
    await waitFor(() => !server.refusing, { timeout: 2000 })
    expect(await attempt()).toBe('open')
  })

  it('POST /control/slow?ms= pauses reading for ms', async () => {
    const { body } = await post('/control/slow?ms=200')
    expect(body).toMatchObject({ paused: true })
    expect(server.paused).toBe(true)
    await waitFor(() => !server.paused, { timeout: 2000 })
  })

  it('POST /control/silent?ms= goes silent for ms', async () => {
    const { body } = await post('/control/silent?ms=200')
    expect(body).toMatchObject({ silent: true })
    await waitFor(() => !server.isSilent, { timeout: 2000 })
  })

  it('POST /control/close sends the given code and reason', async () => {
    const client = connect()
    await opened(client)
    await waitFor(() => server.liveConnections === 1)
    const end = closed(client)
    await post('/control/close?code=4002&reason=later')
    expect(await end).toEqual({ code: 4002, reason: 'later' })
    expect((await post('/control/close?code=1005')).status).toBe(400)
  })

  it('POST /control/reset undoes every fault', async () => {
    server.refuse()
    server.pauseReading()
    server.silent()
    server.delayHandshake(1000)
    const { body } = await post('/control/reset')
    expect(body).toMatchObject({ refusing: false, paused: false, silent: false, handshakeDelay: 0 })
  })

  it('rejects bad methods, bad durations and unknown commands', async () => {
    expect((await fetch(`${server.httpUrl}/control/drop`)).status).toBe(405)
    expect((await fetch(`${server.httpUrl}/control/state`, { method: 'POST' })).status).toBe(405)
    expect((await post('/control/slow?ms=-1')).status).toBe(400)
    expect((await post('/control/slow?ms=abc')).status).toBe(400)
    expect((await post('/control/slow?ms=600001')).status).toBe(400)
    expect((await post('/control/explode')).status).toBe(404)
    expect(server.paused).toBe(false)
  })
})

describe('fault server static routes', () => {
  let dir: string

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'fault-server-'))
  })

  afterEach(async () => {
    await rm(dir, { recursive: true, force: true })
  })

  it('serves files, inline bodies and a clear 404 for a missing file', async () => {
    await writeFile(join(dir, 'page.html'), '<p>hi</p>')
    server.route('/', { file: join(dir, 'page.html') })
    server.route('/inline.js', { body: 'void 0', type: 'text/javascript' })
    server.route('/bundle.js', { file: join(dir, 'nope.js'), missing: 'run npm run build first' })

    const page = await fetch(`${server.httpUrl}/`)
    expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8')
    expect(await page.text()).toBe('<p>hi</p>')
    expect(await (await fetch(`${server.httpUrl}/inline.js`)).text()).toBe('void 0')
    const missing = await fetch(`${server.httpUrl}/bundle.js`)
    expect(missing.status).toBe(404)
    expect(await missing.text()).toContain('run npm run build first')
    expect((await fetch(`${server.httpUrl}/other`)).status).toBe(404)

    server.route('/', null)
    expect((await fetch(`${server.httpUrl}/`)).status).toBe(404)
  })
})
