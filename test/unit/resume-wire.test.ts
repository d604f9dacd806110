import { readFileSync } from 'node:fs'
import { resolve } from 'node:path'
import { describe, expect, test } from 'vitest'
import {
  CLOSE,
  PROTOCOL,
  decode,
  encodeAck,
  encodeControl,
  encodeText,
  type Control,
  type Frame,
  type Payload,
} from '../../src/resume-wire'

const bytes = (...values: number[]) => new Uint8Array(values)
const ascii = (s: string) => new TextEncoder().encode(s)

describe('data frames', () => {
  test('cost one byte for text, none for binary', () => {
    expect(encodeText('hi')).toBe(':hi')
    expect(decode(':hi')).toEqual({ t: 'data', data: 'hi' })
    const frame = bytes(1, 2)
    expect(decode(frame)).toEqual({ t: 'data', data: frame })
  })

  test('carry an acknowledgement in decimal in front of the colon', () => {
    expect(encodeText('x', 10000)).toBe('10000:x')
    expect(encodeText('', 0)).toBe('0:')
    expect(decode('10000:x')).toEqual({ t: 'data', ack: 10000, data: 'x' })
  })

  test('keep the text character for character, whatever it starts with', () => {
    for (const data of ['', ':', '::', '{"t":"bye"}', '12', '12:3', 'é€😀', '\u0000']) {
      expect(decode(encodeText(data, 7))).toEqual({ t: 'data', ack: 7, data })
      expect(decode(encodeText(data))).toEqual({ t: 'data', data })
    }
  })

  test('take a binary frame as data whatever its bytes, without a copy', () => {
    for (const frame of [bytes(), ascii(':x'), ascii('12'), ascii('12:x'), ascii('{"t":"bye"}')]) {
      const decoded = decode(frame) as Extract<Frame, { t: 'data' }>
      expect(decoded).toEqual({ t: 'data', data: frame })
      expect(decoded.data).toBe(frame)
    }
  })

  test('accept acknowledgements from 0 to 2^53 - 1 and nothing else', () => {
    const max = Number.MAX_SAFE_INTEGER
    expect(decode(`${max}:`)).toEqual({ t: 'data', ack: max, data: '' })
    expect(decode(`${max}`)).toEqual({ t: 'ack', ack: max })
    expect(decode('0')).toEqual({ t: 'ack', ack: 0 })
    for (const frame of [
      '9007199254740992',
      '9007199254740992:x',
      '1'.repeat(17),
      '01',
      '00:x',
      '1a',
      '1 ',
    ])
      expect(() => decode(frame), frame).toThrow(/^steadysocket\.resume\.v1: invalid ack$/)
  })
})

describe('ack and control frames', () => {
  test('round-trip', () => {
    const controls: Control[] = [
      { t: 'hello', proto: PROTOCOL, ack: 0, max: 1048576 },
      { t: 'hello', proto: PROTOCOL, sid: 'a-b_C9', epoch: 'e', ack: 3, max: 0 },
      { t: 'welcome', proto: PROTOCOL, sid: 's', epoch: 'e', resumed: true, ack: 2, max: 5 },
      { t: 'ping' },
      { t: 'pong' },
      { t: 'bye' },
    ]
    for (const c of controls) expect(decode(encodeControl(c))).toEqual(c)
    expect(decode(encodeAck(42))).toEqual({ t: 'ack', ack: 42 })
  })

  test('accept any key order and ignore unknown keys', () => {
    expect(decode(`{"max":1,"x":[1],"ack":2,"proto":"${PROTOCOL}","t":"hello"}`)).toEqual({
      t: 'hello',
      proto: PROTOCOL,
      ack: 2,
      max: 1,
    })
  })

  test('ignore a control frame of an unknown type', () => {
    expect(decode('{"t":"notice","text":"hi"}')).toBeNull()
  })

  test('hello and welcome name the protocol and its version', () => {
    for (const proto of [undefined, 'steadysocket.resume.v2', 1]) {
      const named = proto === undefined ? '' : `"proto":${JSON.stringify(proto)},`
      expect(() => decode(`{"t":"hello",${named}"ack":0,"max":1}`)).toThrow(
        `${PROTOCOL}: not ${PROTOCOL}`,
      )
      expect(() =>
        decode(`{"t":"welcome",${named}"sid":"s","epoch":"e","resumed":false,"ack":0,"max":1}`),
      ).toThrow(`${PROTOCOL}: not ${PROTOCOL}`)
    }
  })

  test('reject what is not a frame', () => {
    const P = `"proto":"${PROTOCOL}",`
    const invalid: [frame: string, why: string][] = [
      ['', 'unknown frame'],
      ['hi', 'unknown frame'],
      [' :x', 'unknown frame'],
      ['{', 'invalid control frame'],
      ['{}', 'invalid control frame'],
      ['[]', 'unknown frame'],
      ['null', 'unknown frame'],
      ['{"t":1}', 'invalid control frame'],
      [`{"t":"hello",${P}"ack":1}`, 'invalid number'],
      [`{"t":"hello",${P}"sid":"s","ack":0,"max":1}`, 'invalid sid or epoch'],
      [`{"t":"hello",${P}"sid":"s/","epoch":"e","ack":0,"max":1}`, 'invalid sid or epoch'],
      [
        `{"t":"hello",${P}"sid":"${'s'.repeat(65)}","epoch":"e","ack":0,"max":1}`,
        'invalid sid or epoch',
      ],
      [`{"t":"welcome",${P}"sid":"s","epoch":"e","ack":0,"max":1}`, 'invalid welcome'],
      [`{"t":"welcome",${P}"sid":"s","epoch":"e","resumed":1,"ack":0,"max":1}`, 'invalid welcome'],
      [`{"t":"hello",${P}"ack":-1,"max":1}`, 'invalid number'],
      [`{"t":"hello",${P}"ack":"1","max":1}`, 'invalid number'],
      [`{"t":"hello",${P}"ack":1.5,"max":1}`, 'invalid number'],
    ]
    for (const [frame, why] of invalid)
      expect(() => decode(frame), frame).toThrow(new Error(`${PROTOCOL}: ${why}`))
  })
})

// PROTOCOL.md is the contract for servers in other languages: its examples must be true.
describe('PROTOCOL.md', () => {
  const doc = readFileSync(resolve(__dirname, '../../PROTOCOL.md'), 'utf8')
  const blocks = [...doc.matchAll(/^```frames\n([\s\S]*?)^```$/gm)].map((m) => parse(m[1] ?? ''))

  test('has the two worked examples', () => {
    expect(blocks.length).toBe(2)
    for (const block of blocks) expect(block.filter((l) => 'frame' in l).length).toBeGreaterThan(2)
  })

  test('shows frames that decode as stated and encode back to the same bytes', () => {
    for (const line of blocks.flat()) {
      if (!('frame' in line)) continue
      const decoded = decode(line.frame)
      expect(decoded, line.source).not.toBeNull()
      expect(plain(decoded), line.source).toEqual(line.expected ?? JSON.parse(line.frame as string))
      expect(encode(decoded as Frame), line.source).toEqual(line.frame)
    }
  })

  test('9.1: a reconnect delivers every message once and in order, both ways', () => {
    const model = run(blocks[0] ?? [])
    expect(model.c.log.length).toBe(3)
    expect(model.s.log.length).toBe(3)
    expect(model.c.received).toBe(model.s.log.length)
    expect(model.s.received).toBe(model.c.log.length)
    expect(model.ended).toBe(true)
  })

  test('9.2: after a restart, what the server never acknowledged is unconfirmed', () => {
    // 9.2 continues 9.1 after its connection 1.
    const first = blocks[0] ?? []
    const second = first.findIndex((l, i) => i > 0 && 'connection' in l)
    const model = run([...first.slice(0, second), ...(blocks[1] ?? [])])
    expect(model.unconfirmed).toEqual(['c'])
    expect(model.c.log).toEqual(['again'])
    expect(model.s.received).toBe(1)
  })

  test("states the protocol's name and the close codes of the implementation", () => {
    expect(doc).toContain(`The protocol's name is \`${PROTOCOL}\``)
    const codes = [...doc.matchAll(/^\| (\d{4}) \|/gm)].map((m) => Number(m[1]))
    expect(codes).toEqual(Object.values(CLOSE))
  })
})

type Line =
  | { source: string; connection: true }
  | {
      source: string
      from: 'C' | 'S'
      lost: boolean
      frame: Payload
      expected: unknown
    }

function parse(block: string): Line[] {
  const lines: Line[] = []
  for (const source of block.split('\n')) {
    if (!source.trim() || source.startsWith('#')) continue
    if (source.startsWith('--- connection')) {
      lines.push({ source, connection: true })
      continue
    }
    const m = /^([CS])([>x])([CS]) +(text|binary) +(.*?)(?: +=> +(.*))?$/.exec(source)
    if (!m) throw new Error(`not a frame line: ${source}`)
    const [, from, arrow, , opcode, spec = '', expected] = m
    const parts = [...spec.matchAll(/'([^']*)'|([0-9a-f]{2})(?= |$)/g)]
    expect(parts.map((p) => p[0]).join(' '), `${source}: bytes`).toBe(spec.trim())
    const raw = parts.flatMap((p) =>
      p[1] !== undefined ? [...ascii(p[1])] : [parseInt(p[2] ?? '', 16)],
    )
    const frame = opcode === 'text' ? new TextDecoder().decode(bytes(...raw)) : bytes(...raw)
    lines.push({
      source,
      from: from as 'C' | 'S',
      lost: arrow === 'x',
      frame,
      expected: expected === undefined ? undefined : JSON.parse(expected),
    })
  }
  return lines
}

/** A decoded frame as the examples write it: binary payload as an array of byte values. */
function plain(frame: Frame | null): unknown {
  return frame?.t === 'data' && typeof frame.data !== 'string'
    ? { ...frame, data: [...frame.data] }
    : frame
}

function encode(frame: Frame): Payload {
  if (frame.t === 'data')
    return typeof frame.data === 'string' ? encodeText(frame.data, frame.ack) : frame.data
  if (frame.t === 'ack') return encodeAck(frame.ack)
  return encodeControl(frame)
}

/** One side of the session, as PROTOCOL.md section 6.1 keeps it. */
type Side = {
  /** Every message this side wrote in the session, in number order. */
  log: Payload[]
  /** The number the next data frame on this connection carries. */
  next: number
  peerAck: number
  received: number
}

/**
 * Replays a worked example through PROTOCOL.md sections 5 and 6: messages are numbered by
 * counting, a replay repeats the logged payload, each arrives once and in order, every
 * acknowledgement is within range and says no more than the writer received.
 */
function run(lines: Line[]) {
  const fresh = (): Side => ({ log: [], next: 1, peerAck: 0, received: 0 })
  const model = { c: fresh(), s: fresh(), ended: false, unconfirmed: [] as Payload[] }
  let sid: string | undefined
  let hello: Extract<Control, { t: 'hello' }> | undefined
  let welcomed = false
  const acknowledge = (writer: Side, reader: Side, ack: number, lost: boolean, where: string) => {
    expect(ack, `${where}: acknowledges more than it received`).toBeLessThanOrEqual(writer.received)
    if (lost) return
    expect(ack, `${where}: ack out of range`).toBeGreaterThanOrEqual(reader.peerAck)
    expect(ack, `${where}: ack out of range`).toBeLessThanOrEqual(reader.log.length)
    reader.peerAck = ack
  }
  for (const line of lines) {
    if ('connection' in line) {
      hello = undefined
      welcomed = false
      continue
    }
    const where = line.source
    const f = decode(line.frame) as Frame
    const [writer, reader] = line.from === 'C' ? [model.c, model.s] : [model.s, model.c]
    expect(model.ended, `${where}: after bye`).toBe(false)
    if (f.t === 'hello') {
      expect(line.from, where).toBe('C')
      expect(f.sid, `${where}: resumes the session it has`).toBe(sid)
      expect(f.ack, `${where}: hello.ack is what the client received`).toBe(model.c.received)
      hello = f
      continue
    }
    if (f.t === 'welcome') {
      expect(line.from, where).toBe('S')
      expect(hello, `${where}: welcome before hello`).toBeDefined()
      if (f.resumed) {
        expect(f.sid, where).toBe(hello?.sid)
        expect(f.ack, `${where}: welcome.ack is what the server received`).toBe(model.s.received)
        acknowledge(model.c, model.s, hello?.ack ?? 0, false, where)
        acknowledge(model.s, model.c, f.ack, false, where)
        model.s.next = model.s.peerAck + 1
        model.c.next = model.c.peerAck + 1
      } else {
        expect(f.ack, where).toBe(0)
        model.unconfirmed = model.c.log.slice(model.c.peerAck)
        model.c = fresh()
        model.s = fresh()
      }
      sid = f.sid
      welcomed = true
      continue
    }
    expect(welcomed, `${where}: before welcome`).toBe(true)
    if (f.t === 'bye') model.ended = true
    if (f.t === 'ack' || (f.t === 'data' && f.ack !== undefined))
      acknowledge(writer, reader, f.ack as number, line.lost, where)
    if (f.t !== 'data') continue
    const n = writer.next++
    const data = typeof f.data === 'string' ? f.data : [...f.data]
    if (n <= writer.log.length) {
      const logged = writer.log[n - 1] as Payload
      expect(data, `${where}: replays message ${n}`).toEqual(
        typeof logged === 'string' ? logged : [...logged],
      )
    } else {
      expect(n, `${where}: numbered without a gap`).toBe(writer.log.length + 1)
      writer.log.push(f.data)
    }
    if (line.lost) continue
    expect(reader.received, `${where}: message ${n} arrives in order, once`).toBe(n - 1)
    reader.received = n
  }
  return model
}
