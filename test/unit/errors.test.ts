import { describe, expect, test } from 'vitest'
import {
  ConnectError,
  ConnectTimeoutError,
  DecodeError,
  HandshakeError,
  HeartbeatTimeoutError,
  ProviderError,
  SteadySocketError,
  isSteadySocketError,
} from '../../src/index'

describe('error classes', () => {
  test.each([
    [ConnectError, 'ConnectError'],
    [ConnectTimeoutError, 'ConnectTimeoutError'],
    [HeartbeatTimeoutError, 'HeartbeatTimeoutError'],
    [ProviderError, 'ProviderError'],
    [HandshakeError, 'HandshakeError'],
  ])('%o has its name, message, cause and the base class', (Class, name) => {
    const cause = new Error('root')
    const e = new Class('what happened', { cause })
    expect(e.name).toBe(name)
    expect(e.message).toBe('what happened')
    expect(e.cause).toBe(cause)
    expect(e).toBeInstanceOf(SteadySocketError)
    expect(e).toBeInstanceOf(Error)
    expect(String(e)).toBe(`${name}: what happened`)
  })

  test('DecodeError keeps the raw frame', () => {
    const e = new DecodeError('bad', 'raw frame')
    expect(e.data).toBe('raw frame')
    expect(e.name).toBe('DecodeError')
  })

  test('has no cause property when none is given', () => {
    expect('cause' in new ConnectError('x')).toBe(false)
  })
})

describe('isSteadySocketError', () => {
  test('recognises our errors and rejects look-alikes', () => {
    expect(isSteadySocketError(new ConnectError('x'))).toBe(true)
    expect(isSteadySocketError(new Error('x'))).toBe(false)
    expect(isSteadySocketError({ name: 'ConnectError', message: 'x' })).toBe(false)
    expect(isSteadySocketError(null)).toBe(false)
    expect(isSteadySocketError('ConnectError')).toBe(false)
  })

  test('narrows by name', () => {
    const e: unknown = new HeartbeatTimeoutError('x')
    expect(isSteadySocketError(e, 'HeartbeatTimeoutError')).toBe(true)
    expect(isSteadySocketError(e, 'ConnectError')).toBe(false)
    expect(isSteadySocketError(e, 'SteadySocketError')).toBe(true)
  })

  test('works across realms (an error made by another copy of the class)', async () => {
    // A second, independent copy of the module stands in for another realm or bundle.
    const other = await import('../../src/errors?copy' as string)
    const foreign: unknown = new other.DecodeError('x', 'y')
    expect(foreign).not.toBeInstanceOf(DecodeError)
    expect(isSteadySocketError(foreign)).toBe(true)
    expect(isSteadySocketError(foreign, 'DecodeError')).toBe(true)
  })
})
