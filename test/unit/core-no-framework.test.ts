// The core must not pull in any framework: with every framework made to throw on import, the
// core (and the testing entry) still load, while an adapter does not.
import { describe, expect, test, vi } from 'vitest'

// vi.mock is hoisted above everything else: each factory has to be self-contained.
vi.mock('react', () => {
  throw new Error('react was imported')
})
vi.mock('react-dom', () => {
  throw new Error('react-dom was imported')
})
vi.mock('vue', () => {
  throw new Error('vue was imported')
})
vi.mock('svelte', () => {
  throw new Error('svelte was imported')
})
vi.mock('svelte/store', () => {
  throw new Error('svelte/store was imported')
})

describe('the core imports no framework', () => {
  test('steadysocket loads and works with every framework refusing to load', async () => {
    const core = await import('../../src/index')
    const { FakeServer } = await import('../../src/testing/index')
    const server = new FakeServer()
    const socket = new core.SteadySocket('ws://example.test', {
      WebSocket: server.WebSocket,
      autoConnect: false,
    })
    expect(socket.status).toBe('closed')
    socket.dispose()
  })

  test('the svelte adapter needs no svelte at runtime', async () => {
    const { steadySocketStore } = await import('../../src/svelte')
    expect(typeof steadySocketStore).toBe('function')
  })

  test.each([
    ['react', '../../src/react'],
    ['vue', '../../src/vue'],
  ])('the mocks bite: the %s adapter fails to load', async (name, path) => {
    const error: unknown = await import(/* @vite-ignore */ path).then(
      () => null,
      (e: unknown) => e,
    )
    // vitest wraps a throwing factory's error; ours is its cause.
    expect(String((error as Error | null)?.cause)).toContain(`${name} was imported`)
  })
})
