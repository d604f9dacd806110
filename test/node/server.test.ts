// steadysocket/server against raw `ws` clients that speak PROTOCOL.md by hand: the hello gate,
// welcome, data both ways, resume with replay, acknowledgements, replacement, bye, expiry,
// backpressure, ping and violations. Every wait is bounded (server-client.ts).
import { describe, expect, test } from 'vitest'
import { encodeText } from '../../src/resume-wire'
import { MemoryStore } from '../../src/server/index'
import type { SessionEndReason } from '../../src/server/index'
import { WebSocket } from 'ws'
import { sleep, until, useServer } from './server-client'

const rig = useServer()
const REQUIRED = 'steadysocket.resume.v1 required'

describe('a new session', () => {
  test('is welcomed with a fresh sid and the epoch, and emitted once', async () => {
    const r = await rig({ maxBytes: 4096 })
    const { welcome } = await r.client()
    expect(welcome).toEqual({
      t: 'welcome',
      proto: 'steadysocket.resume.v1',
      sid: expect.stringMatching(/^[\w-]{22}$/),
      epoch: r.server.epoch,
      resumed: false,
      ack: 0,
      max: 4096,
    })
    expect(r.server.epoch).toMatch(/^[\w-]{1,64}$/)
    expect(r.sessions).toHaveLength(1)
    expect(r.sessions[0]!.id).toBe(welcome.sid)
    expect(r.sessions[0]!.connected).toBe(true)
    expect(r.server.sessions.size).toBe(1)
    const other = await r.client()
    expect(other.welcome.sid).not.toBe(welcome.sid)
    expect(r.sessions).toHaveLength(2)
  })

  test('carries text as strings and binary as Buffers, both ways, opcodes kept', async () => {
    const r = await rig()
    const { c } = await r.client()
    const got: (string | Buffer)[] = []
    r.sessions[0]!.on('message', (data) => {
      got.push(data)
      r.sessions[0]!.send(data)
    })
    c.ws.send(encodeText('héllo'))
    c.ws.send(Buffer.from([0x3a, 1, 2]))
    c.ws.send(encodeText(''))
    c.ws.send(Buffer.alloc(0))
    expect(await c.next()).toEqual({ binary: false, data: ':héllo' })
    expect(await c.next()).toEqual({ binary: true, data: Buffer.from([0x3a, 1, 2]) })
    expect(await c.next()).toEqual({ binary: false, data: ':' })
    expect(await c.next()).toEqual({ binary: true, data: Buffer.alloc(0) })
    expect(got[0]).toBe('héllo')
    expect(Buffer.isBuffer(got[1])).toBe(true)
    expect([...(got[1] as Buffer)]).toEqual([0x3a, 1, 2])
    expect(got[2]).toBe('')
    expect(Buffer.isBuffer(got[3]) && (got[3] as Buffer).length).toBe(0)
    // ArrayBuffer and typed-array views go out as binary frames too.
    r.sessions[0]!.send(new Uint8Array([9, 8, 7]).subarray(1))
    r.sessions[0]!.send(new Uint16Array([0x0102]).buffer)
    expect(await c.next()).toEqual({ binary: true, data: Buffer.from([8, 7]) })
    expect((await c.next()).binary).toBe(true)
    expect(() => r.sessions[0]!.send(42 as unknown as string)).toThrow(TypeError)
  })
})

describe('the hello gate', () => {
  test('a plain client that sends first is closed with 4460 and never reaches the application', async () => {
    const r = await rig()
    const { c } = await r.client(false)
    c.ws.send('hi')
    expect(await c.closed).toEqual({ code: 4460, reason: REQUIRED })
    expect(r.sessions).toHaveLength(0)
  })

  test('a binary first frame or another control frame is closed with 4460', async () => {
    const r = await rig()
    const a = (await r.client(false)).c
    a.ws.send(Buffer.from('{"t":"hello"}'))
    const b = (await r.client(false)).c
    b.ws.send('{"t":"ping"}')
    const d = (await r.client(false)).c
    d.ws.send('{"t":"hello","proto":"steadysocket.resume.v2","ack":0,"max":1}')
    expect(await a.closed).toEqual({ code: 4460, reason: REQUIRED })
    expect(await b.closed).toEqual({ code: 4460, reason: REQUIRED })
    expect(await d.closed).toEqual({ code: 4460, reason: REQUIRED })
    expect(r.sessions).toHaveLength(0)
  })

  test('a hello that names the protocol but breaks it is closed with 4461', async () => {
    const r = await rig()
    const { c } = await r.client(false)
    c.ws.send('{"t":"hello","proto":"steadysocket.resume.v1","ack":-1,"max":10}')
    expect(await c.closed).toEqual({
      code: 4461,
      reason: 'steadysocket.resume.v1: invalid number',
    })
    expect(r.sessions).toHaveLength(0)
  })

  test('a silent client is closed with 4460 after helloTimeout', async () => {
    const r = await rig({ helloTimeout: 150 })
    const started = Date.now()
    const { c } = await r.client(false)
    expect(await c.closed).toEqual({ code: 4460, reason: REQUIRED })
    expect(Date.now() - started).toBeGreaterThanOrEqual(140)
    expect(r.sessions).toHaveLength(0)
  })
})

describe('resuming', () => {
  test('replays what the client lacks, in order, counts what it sent once, then goes on', async () => {
    const r = await rig()
    const { c, welcome } = await r.client()
    const session = r.sessions[0]!
    const got: string[] = []
    session.on('message', (m) => got.push(m as string))
    for (const m of ['s1', 's2', 's3']) session.send(m)
    c.ws.send(encodeText('c1'))
    c.ws.send(encodeText('c2'))
    for (const m of ['s1', 's2', 's3']) expect(await c.text()).toBe(':' + m)
    await until(() => got.length === 2)
    c.ws.terminate()
    await until(() => !session.connected)
    session.send('s4') // kept for the next connection
    session.send(Buffer.from([4, 5]))
    expect(session.bufferedBytes).toBe(2 + 2 + 2 + 2 + 2)
    // The client pretends only s1 arrived: s2 and s3 were in TCP when the connection died.
    const next = await r.client({ sid: welcome.sid, epoch: welcome.epoch, ack: 1 })
    expect(next.welcome).toMatchObject({ sid: welcome.sid, resumed: true, ack: 2 })
    expect(await next.c.text()).toBe(':s2')
    expect(await next.c.text()).toBe(':s3')
    expect(await next.c.text()).toBe(':s4')
    expect(await next.c.next()).toEqual({ binary: true, data: Buffer.from([4, 5]) })
    session.send('s6')
    expect(await next.c.text()).toBe(':s6')
    next.c.ws.send(encodeText('c3'))
    await until(() => got.length === 3)
    await sleep(50)
    expect(got).toEqual(['c1', 'c2', 'c3'])
    expect(next.c.unread).toEqual([])
    expect(r.sessions).toHaveLength(1) // 'session' is not emitted again
    expect(session.bufferedBytes).toBe(2 + 2 + 2 + 2 + 2) // nothing acknowledged since ack 1
  })

  test('a hello whose ack is out of range is closed with 4461; the session waits for a valid one', async () => {
    const r = await rig()
    const { c, welcome } = await r.client()
    r.sessions[0]!.send('a')
    await c.text()
    c.ws.terminate()
    await until(() => !r.sessions[0]!.connected)
    const bad = await r.client(false)
    bad.c.hello({ sid: welcome.sid, epoch: welcome.epoch, ack: 2 }) // only 1 was sent
    expect(await bad.c.closed).toEqual({
      code: 4461,
      reason: 'steadysocket.resume.v1: ack out of range',
    })
    expect(r.server.sessions.size).toBe(1)
    const good = await r.client({ sid: welcome.sid, epoch: welcome.epoch, ack: 0 })
    expect(good.welcome.resumed).toBe(true)
    expect(await good.c.text()).toBe(':a')
  })

  test('a second connection of the same session replaces the first (4462), no double delivery', async () => {
    const r = await rig()
    const { c, welcome } = await r.client()
    const session = r.sessions[0]!
    session.send('one')
    expect(await c.text()).toBe(':one')
    const b = await r.client({ sid: welcome.sid, epoch: welcome.epoch, ack: 1 })
    expect(b.welcome.resumed).toBe(true)
    expect(await c.closed).toEqual({ code: 4462, reason: 'steadysocket.resume.v1: replaced' })
    session.send('two')
    expect(await b.c.text()).toBe(':two')
    await sleep(50)
    expect(c.unread).toEqual([])
    expect(b.c.unread).toEqual([])
    expect(session.connected).toBe(true) // the old connection's close does not detach the new one
    expect(r.sessions).toHaveLength(1)
  })

  test('an unknown sid or another epoch starts a new session', async () => {
    const r = await rig()
    const { welcome } = await r.client()
    const unknown = await r.client({ sid: 'nope', epoch: welcome.epoch, ack: 3 })
    expect(unknown.welcome).toMatchObject({ resumed: false, ack: 0 })
    expect(unknown.welcome.sid).not.toBe('nope')
    const other = await r.client({ sid: welcome.sid, epoch: 'older', ack: 0 })
    expect(other.welcome).toMatchObject({ resumed: false, epoch: r.server.epoch })
    expect(other.welcome.sid).not.toBe(welcome.sid)
    expect(r.sessions).toHaveLength(3)
  })
})

describe('acknowledgements', () => {
  test('32 messages get one acknowledgement, carried by a text frame written in that turn', async () => {
    const r = await rig({ ack: { delay: 5000 } })
    const { c } = await r.client()
    const session = r.sessions[0]!
    session.on('message', (m) => session.send(m))
    for (let i = 1; i <= 32; i++) c.ws.send(encodeText(`m${i}`))
    for (let i = 1; i < 32; i++) expect(await c.text()).toBe(`:m${i}`)
    expect(await c.text()).toBe('32:m32')
    await sleep(50)
    expect(c.unread).toEqual([])
  })

  test('an ack frame when no text frame goes out; none before it is due', async () => {
    const r = await rig({ ack: { delay: 5000 } })
    const { c } = await r.client()
    for (let i = 1; i <= 31; i++) c.ws.send(encodeText(`m${i}`))
    await sleep(100)
    expect(c.unread).toEqual([])
    c.ws.send(Buffer.from('m32'))
    expect(await c.text()).toBe('32')
    for (let i = 33; i <= 63; i++) c.ws.send(encodeText(`m${i}`))
    await sleep(100)
    expect(c.unread).toEqual([]) // 33 to 63: one short of the next 32
  })

  test('an idle receiver acknowledges about 100 ms after the oldest message', async () => {
    const r = await rig()
    const { c } = await r.client()
    const t0 = Date.now()
    c.ws.send(encodeText('a'))
    c.ws.send(Buffer.from([1]))
    expect(await c.text()).toBe('2')
    const took = Date.now() - t0
    expect(took).toBeGreaterThanOrEqual(90)
    expect(took).toBeLessThan(1000)
  })

  test('a quarter of the client max in bytes makes it due at once', async () => {
    const r = await rig({ ack: { delay: 5000 } })
    const { c } = await r.client({ max: 400 })
    c.ws.send(Buffer.alloc(60))
    await sleep(50)
    expect(c.unread).toEqual([])
    c.ws.send(Buffer.alloc(40))
    expect(await c.text()).toBe('2')
  })

  test('an ack beyond what the server sent is a violation (4461); the session survives', async () => {
    const r = await rig()
    const { c, welcome } = await r.client()
    c.ws.send('5')
    expect(await c.closed).toEqual({
      code: 4461,
      reason: 'steadysocket.resume.v1: ack out of range',
    })
    const again = await r.client({ sid: welcome.sid, epoch: welcome.epoch })
    expect(again.welcome.resumed).toBe(true)
  })
})

describe('backpressure', () => {
  test('send() returns false at maxBytes, holds the rest, and drain follows the acknowledgements', async () => {
    const r = await rig({ maxBytes: 100 })
    const { c } = await r.client()
    const session = r.sessions[0]!
    let drains = 0
    session.on('drain', () => drains++)
    const payload = 'x'.repeat(60)
    expect(session.send(payload)).toBe(true)
    expect(session.send(payload)).toBe(false)
    expect(session.send(payload)).toBe(false)
    expect(session.bufferedBytes).toBe(60)
    expect(session.queuedBytes).toBe(120)
    expect(await c.text()).toBe(':' + payload)
    await sleep(50)
    expect(c.unread).toEqual([]) // held by the session, not written
    c.ws.send('1')
    expect(await c.text()).toBe(':' + payload)
    expect(session.bufferedBytes).toBe(60)
    expect(session.queuedBytes).toBe(60)
    expect(drains).toBe(0)
    c.ws.send('2')
    expect(await c.text()).toBe(':' + payload)
    await until(() => drains === 1)
    expect(session.bufferedBytes).toBe(60)
    expect(session.queuedBytes).toBe(0)
    c.ws.send('3')
    await until(() => session.bufferedBytes === 0)
    expect(drains).toBe(1)
  })

  test('one message larger than maxBytes still goes, alone', async () => {
    const r = await rig({ maxBytes: 10 })
    const { c } = await r.client()
    const session = r.sessions[0]!
    expect(session.send(Buffer.alloc(50))).toBe(false)
    expect(session.send('y')).toBe(false)
    expect((await c.next()).data).toHaveLength(50)
    expect(session.bufferedBytes).toBe(50)
    expect(session.queuedBytes).toBe(1)
    c.ws.send('1')
    expect(await c.text()).toBe(':y')
  })
})

describe('control frames and violations', () => {
  test('ping gets pong; pong and unknown control frames are ignored', async () => {
    const r = await rig()
    const { c } = await r.client()
    c.ws.send('{"t":"pong"}')
    c.ws.send('{"t":"later","x":1}')
    c.ws.send('{"t":"ping"}')
    expect(JSON.parse(await c.text())).toEqual({ t: 'pong' })
    expect(r.sessions[0]!.connected).toBe(true)
  })

  test('an invalid frame ends the connection with 4461, not the session', async () => {
    const r = await rig()
    const { c, welcome } = await r.client()
    const got: unknown[] = []
    r.sessions[0]!.on('message', (m) => got.push(m))
    c.ws.send(encodeText('kept'))
    c.ws.send('!bad')
    expect(await c.closed).toEqual({ code: 4461, reason: 'steadysocket.resume.v1: unknown frame' })
    expect(r.server.sessions.size).toBe(1)
    const again = await r.client({ sid: welcome.sid, epoch: welcome.epoch })
    expect(again.welcome).toMatchObject({ resumed: true, ack: 1 })
    expect(got).toEqual(['kept'])
  })

  test('bye ends the session (closed), the connection closes 1000, a later hello starts anew', async () => {
    const store = new MemoryStore()
    const r = await rig({ store })
    const { c, welcome } = await r.client()
    const ends: SessionEndReason[] = []
    const got: unknown[] = []
    r.sessions[0]!.on('end', (reason) => ends.push(reason))
    r.sessions[0]!.on('message', (m) => got.push(m))
    c.ws.send(encodeText('one'))
    c.ws.send(encodeText('two'))
    c.ws.send('{"t":"bye"}')
    c.ws.send(encodeText('after bye'))
    // Its last word acknowledges what came before the bye: nothing of it is unconfirmed.
    expect(await c.text()).toBe('2')
    expect((await c.closed).code).toBe(1000)
    expect(ends).toEqual(['closed'])
    expect(got).toEqual(['one', 'two'])
    expect(store.size).toBe(0)
    expect(r.server.sessions.size).toBe(0)
    expect(r.sessions[0]!.send('late')).toBe(false)
    const again = await r.client({ sid: welcome.sid, epoch: welcome.epoch, ack: 0 })
    expect(again.welcome.resumed).toBe(false)
  })

  test('session.close() sends bye, closes 1000 and ends the session', async () => {
    const r = await rig()
    const { c } = await r.client()
    const ends: SessionEndReason[] = []
    r.sessions[0]!.on('end', (reason) => ends.push(reason))
    r.sessions[0]!.close()
    expect(JSON.parse(await c.text())).toEqual({ t: 'bye' })
    expect((await c.closed).code).toBe(1000)
    expect(ends).toEqual(['closed'])
    r.sessions[0]!.close()
    expect(ends).toEqual(['closed'])
  })
})

describe('expiry and closing', () => {
  test('a session without connection ends expired after window, and is released', async () => {
    const store = new MemoryStore()
    const r = await rig({ window: 150, store })
    const { c, welcome } = await r.client()
    const session = r.sessions[0]!
    const ends: SessionEndReason[] = []
    session.on('end', (reason) => ends.push(reason))
    session.send('kept until expiry')
    c.ws.terminate()
    await until(() => !session.connected)
    const lost = Date.now()
    expect(store.size).toBe(1)
    await until(() => ends.length > 0)
    expect(Date.now() - lost).toBeGreaterThanOrEqual(140)
    expect(ends).toEqual(['expired'])
    expect(store.size).toBe(0)
    expect(r.server.sessions.size).toBe(0)
    expect(session.bufferedBytes).toBe(0)
    const again = await r.client({ sid: welcome.sid, epoch: welcome.epoch, ack: 0 })
    expect(again.welcome.resumed).toBe(false)
  })

  test('server.close() ends every session, stops listening and closes waiting connections', async () => {
    const r = await rig()
    const a = await r.client()
    const b = await r.client()
    const waiting = await r.client(false)
    const ends: SessionEndReason[] = []
    for (const s of r.sessions) s.on('end', (reason) => ends.push(reason))
    let closed = 0
    r.server.on('close', () => closed++)
    expect(r.wss.listenerCount('connection')).toBe(1)
    r.server.close()
    r.server.close()
    expect(ends).toEqual(['closed', 'closed'])
    expect(closed).toBe(1)
    expect(r.server.sessions.size).toBe(0)
    expect(r.wss.listenerCount('connection')).toBe(0)
    expect(JSON.parse(await a.c.text())).toEqual({ t: 'bye' })
    expect((await a.c.closed).code).toBe(1000)
    expect((await b.c.closed).code).toBe(1000)
    expect((await waiting.c.closed).code).toBe(1001)
  })
})

describe('heartbeat', () => {
  test('a connection that stops answering pings is dropped; its session waits for a resume', async () => {
    const r = await rig({ heartbeat: 60 })
    const quiet = new WebSocket(r.url, { autoPong: false })
    await new Promise((resolve) => quiet.once('open', resolve))
    const answering = await r.client()
    let pings = 0
    quiet.on('ping', () => pings++)
    quiet.send('{"t":"hello","proto":"steadysocket.resume.v1","ack":0,"max":100}')
    await until(() => r.sessions.length === 2)
    const closed = new Promise<number>((resolve) => quiet.once('close', resolve))
    expect(await closed).toBe(1006)
    expect(pings).toBeGreaterThanOrEqual(1)
    await until(() => !r.sessions[1]!.connected)
    expect(r.server.sessions.size).toBe(2) // detached, not ended
    await sleep(150)
    expect(r.sessions[0]!.connected).toBe(true) // the one that answers stays
    expect(answering.c.ws.readyState).toBe(WebSocket.OPEN)
  })
})
