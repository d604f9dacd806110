// Mounting a component that calls useSteadySocket, for the React suites.
import { act, render } from '@testing-library/react'
import { createElement, StrictMode, type ReactNode } from 'react'
import type { UrlSource } from '../../src/index'
import {
  useSteadySocket,
  type UseSteadySocketOptions,
  type UseSteadySocketResult,
} from '../../src/react'
import type { FakeServer } from '../../src/testing/index'
import { tick } from './helpers'

/** Lets fake time pass inside act(), so React applies the state the socket events cause. */
export const flush = (ms = 0) => act(() => tick(ms))

export type Props = { url: UrlSource | null; options?: UseSteadySocketOptions<unknown, unknown> }

/**
 * Mounts a component that calls the hook against `server` (under StrictMode unless told not to)
 * and records every result it rendered; it renders the status and the latest message.
 */
export function mount(server: FakeServer, props: Props, { strict = true } = {}) {
  const results: UseSteadySocketResult<unknown, unknown>[] = []
  function Probe(p: Props) {
    const result = useSteadySocket(p.url, { WebSocket: server.WebSocket, ...p.options })
    results.push(result)
    return createElement('output', null, `${result.status} ${String(result.lastMessage ?? '')}`)
  }
  const wrap = (p: Props): ReactNode =>
    strict ? createElement(StrictMode, null, createElement(Probe, p)) : createElement(Probe, p)
  const view = render(wrap(props))
  return {
    results,
    get last() {
      return results[results.length - 1]!
    },
    text: () => view.container.textContent,
    update: (p: Props) => view.rerender(wrap(p)),
    unmount: () => view.unmount(),
  }
}
