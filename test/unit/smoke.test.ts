import { afterEach, beforeEach, expect, test, vi } from 'vitest'
import { setup, tick } from './helpers'

beforeEach(() => {
  vi.useFakeTimers()
})
afterEach(() => {
  vi.useRealTimers()
})

test('connects, sends, receives and closes', async () => {
  const { socket, server } = setup<string, string>()
  expect(socket.status).toBe('connecting')
  expect(socket.send('early')).toBe('queued')
  await tick()
  expect(socket.status).toBe('open')
  expect(server.received).toEqual(['early'])
  const got: string[] = []
  socket.on('message', (m) => got.push(m))
  server.lastConnection!.send('hi')
  await tick()
  expect(got).toEqual(['hi'])
  expect(socket.send('x')).toBe('sent')
  socket.close()
  expect(socket.status).toBe('closing')
  await tick()
  expect(socket.status).toBe('closed')
  expect(server.lastConnection!.closeCode).toBe(1000)
})
