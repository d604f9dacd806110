// Cases the TabSocket model test found (test/model/tabs.model.test.ts), one behaviour each.
import { afterEach, beforeEach, describe, expect, test, vi } from 'vitest'
import type { TabSocketOptions } from '../../src/tabs'
import { settle, tabGroup } from './fake-tabs'

const URL = 'ws://example.test/order'

beforeEach(() => {
  vi.useFakeTimers()
})
// Sockets listen on the (shared) jsdom window and document: none may outlive its test.
const made: { dispose(): void }[] = []
afterEach(() => {
  for (const socket of made.splice(0)) socket.dispose()
  vi.useRealTimers()
})

const group = (n: number, options: TabSocketOptions<string, string> = {}) =>
  tabGroup(URL, made, n, options)

describe('TabSocket: per-tab order across a change of leader', () => {
  test('a send from a `leader` listener goes after what the tab sent before it led', async () => {
    const g = group(1)
    const [tab] = g.sockets
    tab!.on('leader', ({ isLeader }) => {
      if (isLeader) tab!.send('second')
    })
    expect(tab!.send('first')).toBe('queued') // no leader yet: kept by the tab
    await settle()
    expect(tab!.isLeader).toBe(true)
    expect(g.server.received).toEqual(['first', 'second'])
  })
})
