import { describe, expect, test } from 'vitest'
import { byteLength, Queue } from '../../src/queue'

type Item = { id: number; bytes: number }

const item = (id: number, bytes = 1): Item => ({ id, bytes })
const ids = (q: Queue<Item>) => q.drain().map((i) => i.id)

describe('Queue', () => {
  test('starts empty', () => {
    const q = new Queue<Item>()
    expect(q.length).toBe(0)
    expect(q.bytes).toBe(0)
    expect(q.shift()).toBeUndefined()
  })

  test('shifts in push order', () => {
    const q = new Queue<Item>()
    for (let i = 0; i < 5; i++) q.push(item(i))
    expect([q.shift()?.id, q.shift()?.id, q.shift()?.id]).toEqual([0, 1, 2])
    expect(q.length).toBe(2)
  })

  test('keeps FIFO order across growth', () => {
    const q = new Queue<Item>()
    for (let i = 0; i < 100; i++) q.push(item(i))
    expect(q.length).toBe(100)
    expect(ids(q)).toEqual(Array.from({ length: 100 }, (_, i) => i))
  })

  test('keeps FIFO order when the ring wraps around', () => {
    const q = new Queue<Item>()
    const out: number[] = []
    let next = 0
    // Interleave so the head walks around the 16-slot ring several times without growing it.
    for (let round = 0; round < 10; round++) {
      for (let i = 0; i < 10; i++) q.push(item(next++))
      for (let i = 0; i < 10; i++) out.push(q.shift()!.id)
    }
    expect(out).toEqual(Array.from({ length: 100 }, (_, i) => i))
    expect(q.length).toBe(0)
  })

  test('keeps FIFO order when it grows while wrapped', () => {
    const q = new Queue<Item>()
    for (let i = 0; i < 12; i++) q.push(item(i))
    for (let i = 0; i < 10; i++) q.shift()
    // Head is at slot 10; these wrap past the end of the 16-slot ring, then force a growth.
    for (let i = 12; i < 40; i++) q.push(item(i))
    expect(ids(q)).toEqual(Array.from({ length: 30 }, (_, i) => i + 10))
  })

  test('unshift puts an item at the front', () => {
    const q = new Queue<Item>()
    q.push(item(1))
    q.push(item(2))
    q.unshift(item(0))
    expect(ids(q)).toEqual([0, 1, 2])
  })

  test('unshift at a head of 0 wraps to the end of the ring', () => {
    const q = new Queue<Item>()
    q.unshift(item(3))
    q.unshift(item(2))
    q.unshift(item(1))
    q.push(item(4))
    expect(ids(q)).toEqual([1, 2, 3, 4])
  })

  test('unshift on a full ring grows it and keeps the order', () => {
    const q = new Queue<Item>()
    for (let i = 1; i <= 16; i++) q.push(item(i))
    q.unshift(item(0))
    q.push(item(17))
    expect(q.length).toBe(18)
    expect(ids(q)).toEqual(Array.from({ length: 18 }, (_, i) => i))
  })

  test('unshifting a tail in reverse restores its order ahead of the rest', () => {
    const q = new Queue<Item>()
    for (let i = 10; i < 30; i++) q.push(item(i))
    for (let i = 9; i >= 0; i--) q.unshift(item(i))
    expect(ids(q)).toEqual(Array.from({ length: 30 }, (_, i) => i))
  })

  test('counts bytes on push, unshift and shift', () => {
    const q = new Queue<Item>()
    q.push(item(1, 10))
    q.push(item(2, 20))
    q.unshift(item(0, 5))
    expect(q.bytes).toBe(35)
    q.shift()
    expect(q.bytes).toBe(30)
    q.shift()
    expect(q.bytes).toBe(20)
    q.shift()
    expect(q.bytes).toBe(0)
  })

  test('drain returns everything in order and leaves it empty', () => {
    const q = new Queue<Item>()
    q.push(item(1, 4))
    q.push(item(2, 6))
    expect(q.drain()).toEqual([item(1, 4), item(2, 6)])
    expect(q.length).toBe(0)
    expect(q.bytes).toBe(0)
    expect(q.shift()).toBeUndefined()
  })
})

describe('byteLength', () => {
  test('counts ASCII as one byte per character', () => {
    expect(byteLength('hello')).toBe(5)
    expect(byteLength('')).toBe(0)
  })

  test('counts 2-byte UTF-8 characters', () => {
    expect(byteLength('é')).toBe(2)
    expect(byteLength('ß\u07ff')).toBe(4)
  })

  test('counts 3-byte UTF-8 characters', () => {
    expect(byteLength('€')).toBe(3)
    expect(byteLength('中文')).toBe(6)
    expect(byteLength('\u0800\uffff')).toBe(6)
  })

  test('counts a surrogate pair as 4 bytes', () => {
    expect(byteLength('😀')).toBe(4)
    expect(byteLength('a😀b')).toBe(6)
    expect(byteLength('😀😀')).toBe(8)
  })

  test('counts a lone high surrogate as 3 bytes (U+FFFD)', () => {
    expect(byteLength('\ud83d')).toBe(3)
    expect(byteLength('\ud83dx')).toBe(4)
  })

  test('counts a lone low surrogate as 3 bytes (U+FFFD)', () => {
    expect(byteLength('\ude00')).toBe(3)
    expect(byteLength('x\ude00')).toBe(4)
  })

  test('counts two high surrogates in a row as two replacement characters', () => {
    expect(byteLength('\ud83d\ud83d')).toBe(6)
  })

  test('agrees with TextEncoder on a mixed string', () => {
    const s = 'aé€😀\ud800z\udfff\ud83d\ude00'
    expect(byteLength(s)).toBe(new TextEncoder().encode(s).length)
    expect(byteLength(s)).toBe(21)
  })

  test('counts an ArrayBuffer by byteLength', () => {
    expect(byteLength(new ArrayBuffer(7))).toBe(7)
  })

  test('counts a typed array by bytes, not elements', () => {
    expect(byteLength(new Uint16Array(5))).toBe(10)
    expect(byteLength(new Float64Array(3))).toBe(24)
  })

  test('counts a view of part of a buffer by its own byteLength', () => {
    expect(byteLength(new Uint8Array(new ArrayBuffer(16), 4, 6))).toBe(6)
    expect(byteLength(new DataView(new ArrayBuffer(16), 2, 3))).toBe(3)
  })

  test('counts a Blob by its size', () => {
    expect(byteLength(new Blob(['abc', new Uint8Array(4)]))).toBe(7)
    expect(byteLength(new Blob(['€']))).toBe(3)
  })
})
