// What the server tests share: a real `ws` server on 127.0.0.1:0 made resumable, and a raw `ws`
// client that speaks PROTOCOL.md by hand with the frame codec (no SteadySocket involved).
import { afterEach } from 'vitest'
import { WebSocket, WebSocketServer } from 'ws'
import { encodeControl, PROTOCOL } from '../../src/resume-wire'
import { resumable } from '../../src/server/index'
import type { ResumableOptions, ResumableServer, Session } from '../../src/server/index'

/** One frame as the client received it: the opcode and the data. */
export type Received = { binary: boolean; data: string | Buffer }

export type Welcome = {
  t: 'welcome'
  proto: string
  sid: string
  epoch: string
  resumed: boolean
  ack: number
  max: number
}

const WAIT = 3000

/** A raw protocol client: every frame it receives is kept, in order, and read with `next()`. */
export class RawClient {
  readonly ws: WebSocket
  readonly frames: Received[] = []
  readonly closed: Promise<{ code: number; reason: string }>
  #read = 0
  #wake: (() => void) | undefined

  constructor(url: string) {
    this.ws = new WebSocket(url)
    this.ws.on('message', (data: Buffer, isBinary) => {
      this.frames.push({ binary: isBinary, data: isBinary ? data : data.toString() })
      this.#wake?.()
    })
    this.closed = new Promise((resolve) =>
      this.ws.once('close', (code, reason) => {
        resolve({ code, reason: reason.toString() })
        this.#wake?.()
      }),
    )
  }

  opened(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.ws.once('open', () => resolve())
      this.ws.once('error', reject)
    })
  }

  /** Sends a hello: a first one without `sid`, or a resume. */
  hello(h: { sid?: string; epoch?: string; ack?: number; max?: number } = {}): void {
    const hello = { t: 'hello', proto: PROTOCOL, ...h, ack: h.ack ?? 0, max: h.max ?? 1 << 20 }
    this.ws.send(encodeControl(hello as Parameters<typeof encodeControl>[0]))
  }

  /** The next frame not read yet; rejects after `ms` or when the connection closed first. */
  async next(ms = WAIT): Promise<Received> {
    const deadline = Date.now() + ms
    while (this.frames.length <= this.#read) {
      if (this.ws.readyState === WebSocket.CLOSED) throw new Error('closed, no frame')
      const left = deadline - Date.now()
      if (left <= 0) throw new Error(`no frame within ${ms} ms`)
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left)
        this.#wake = () => {
          clearTimeout(t)
          resolve()
        }
      })
    }
    return this.frames[this.#read++]!
  }

  /** The next frame, which must be text: its string. */
  async text(ms = WAIT): Promise<string> {
    const f = await this.next(ms)
    if (f.binary) throw new Error('expected a text frame, got binary')
    return f.data as string
  }

  async welcome(): Promise<Welcome> {
    return JSON.parse(await this.text()) as Welcome
  }

  /** Frames received and not read yet. */
  get unread(): Received[] {
    return this.frames.slice(this.#read)
  }
}

export type Rig = {
  wss: WebSocketServer
  server: ResumableServer
  url: string
  sessions: Session[]
  clients: RawClient[]
  /** A client, open and (unless `hello` is false) after its hello's welcome. */
  client(h?: Parameters<RawClient['hello']>[0] | false): Promise<{ c: RawClient; welcome: Welcome }>
}

/** A fresh resumable `ws` server per call, closed with its clients after the test. */
export function useServer(): (options?: ResumableOptions) => Promise<Rig> {
  const rigs: Rig[] = []
  afterEach(async () => {
    for (const rig of rigs.splice(0)) {
      for (const c of rig.clients) c.ws.terminate()
      rig.server.close()
      await new Promise((r) => rig.wss.close(r))
    }
  })
  return async (options) => {
    const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 })
    await new Promise((r) => wss.once('listening', r))
    const { port } = wss.address() as { port: number }
    const server = resumable(wss, options)
    const rig: Rig = {
      wss,
      server,
      url: `ws://127.0.0.1:${port}`,
      sessions: [],
      clients: [],
      client: async (h = {}) => {
        const c = new RawClient(rig.url)
        rig.clients.push(c)
        await c.opened()
        if (h === false) return { c, welcome: undefined as unknown as Welcome }
        c.hello(h)
        return { c, welcome: await c.welcome() }
      },
    }
    server.on('session', (s) => rig.sessions.push(s))
    rigs.push(rig)
    return rig
  }
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

/** Waits until `check()` is true, polling; throws after `ms`. */
export async function until(check: () => boolean, ms = WAIT): Promise<void> {
  const deadline = Date.now() + ms
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${ms} ms`)
    await sleep(5)
  }
}
