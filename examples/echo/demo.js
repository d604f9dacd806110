// The echo demo page: plain JS over the script-tag bundle (global `SteadySocket`).
// Every message carries a number so the page can tell what came back, in which order, and what
// happened to each message sent before a drop (ledger.js: delivered, recovered, lost in TCP).
;(() => {
  'use strict'

  const $ = (id) => document.getElementById(id)
  const params = new URLSearchParams(location.search)
  // Two endpoints on the same server: /echo echoes each frame; /resume is resumable() from
  // steadysocket/server, which echoes each session message with session.send().
  const endpoint = (on) =>
    `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/${on ? 'resume' : 'echo'}`
  let resumeOn = params.get('resume') === '1'

  const SteadySocket = window.SteadySocket
  if (typeof SteadySocket !== 'function') {
    showBanner(
      'The bundle /steadysocket.umd.min.js did not load. Run `npm run build` ' +
        '(or `npm run demo`, which builds first) and reload.',
    )
    return
  }

  const BURST_SIZE = 10_000
  const SLOW_MS = 4_000
  const SLOW_CHUNK = 64 * 1024
  const LOG_ROWS = 200
  const SAMPLES = 120 // 12 s of 100 ms samples
  const HIGH_WATER = 1024 * 1024 // the backpressure default, drawn on the chart

  const options = {
    reconnect: { initialDelay: 500, maxDelay: 4000, minUptime: 3000 },
    // The echo server sends the ping straight back: that echo is the pong. (With resume the
    // socket pings with the protocol's own ping frame instead, which the server answers.)
    heartbeat: { interval: 4000, timeout: 6000, message: 'ping', isPong: (raw) => raw === 'ping' },
  }
  const optionsFor = (on) => (on ? { ...options, resume: true } : options)
  // ?tabs=1: one connection shared by every tab that has the page open (steadysocket/tabs).
  const TabSocket = window.TabSocket
  const shared = params.get('tabs') === '1'
  if (shared && typeof TabSocket !== 'function') {
    showBanner('The bundle /steadysocket-tabs.umd.min.js did not load: run `npm run build`.')
    return
  }
  const Socket = shared ? TabSocket : SteadySocket

  /** The page's socket: a new one when the resume switch changes (see switchResume). */
  let socket = null
  function connect() {
    socket = new Socket(endpoint(resumeOn), optionsFor(resumeOn))
    wire(socket)
    renderMode()
    renderStatus(socket.status)
    if (shared) renderTabs()
  }

  function renderMode() {
    const url = endpoint(resumeOn)
    $('url').textContent = url
    $('resume-switch').checked = resumeOn
    document.body.dataset.resume = String(resumeOn)
    $('snippet').textContent = [
      `const socket = new ${shared ? 'TabSocket' : 'SteadySocket'}('${url}', {`,
      ...Object.entries(optionsFor(resumeOn)).map(([key, value]) => `  ${key}: ${literal(value)},`),
      `})`,
      ...(resumeOn ? [`socket.on('session', ({ id, resumed, unconfirmed }) => …)`] : []),
      `socket.on('message', (data) => …)`,
      `socket.send(JSON.stringify({ n, text })) // 'sent' | 'queued' | 'dropped'`,
    ].join('\n')
  }

  // This tab owns the connection (leader) or relays through the tab that does; the server's
  // live connection count stays 1 however many tabs are open.
  function renderTabs() {
    $('tabs').dataset.leader = String(socket.isLeader)
    $('tabs').textContent = `${socket.isLeader ? 'leader' : 'follower'} tab · `
    const link = document.createElement('a')
    link.href = `?tabs=1${resumeOn ? '&resume=1' : ''}`
    link.target = '_blank'
    link.textContent = 'open another tab'
    $('tabs').append(link)
  }

  // One ledger per mode: the page compares what each one lost under the same faults.
  const ledgers = { plain: window.createLedger(), resume: window.createLedger() }
  let ledger = ledgers[resumeOn ? 'resume' : 'plain']
  // Tells this tab's messages from other tabs' echoes when one connection is shared (?tabs=1).
  const from = Math.random().toString(36).slice(2, 10)
  let seq = 0
  let drops = 0
  let userCloseUntil = 0
  let retryAt = 0
  let openedAt = 0
  let wasOpen = false
  let burst = null
  const history = []
  const buttons = {}

  // --- sending -------------------------------------------------------------------------------

  function send(kind, fields) {
    const n = ++seq
    const result = socket.send(JSON.stringify({ n, from, kind, ...fields }))
    if (result === 'dropped') ledger.refused()
    else ledger.sent(n, kind, fields.text)
    return { n, result }
  }

  $('send-form').addEventListener('submit', (event) => {
    event.preventDefault()
    const input = $('input')
    const text = input.value.trim()
    if (!text) return
    const { n, result } = send('text', { text })
    showResult($('send-result'), result)
    logMessage('out', n, text, result === 'sent' ? '' : result)
    input.value = ''
    input.focus()
  })

  /** Every listener of the page, on `s` (a new socket after the resume switch). */
  function wire(s) {
    if (shared) {
      s.on('leader', ({ isLeader }) => {
        renderTabs()
        logEvent(
          'leader',
          isLeader ? 'this tab owns the connection now' : 'this tab gave up the lead',
        )
      })
    }
    // With resume: before every open, which session this connection carries.
    s.on('session', ({ id, resumed, unconfirmed }) => {
      // A sid is a credential (PROTOCOL.md): the page shows only enough of it to tell two apart.
      const sid = `${id.slice(0, 6)}…`
      const detail = resumed
        ? `${sid} resumed: each side replays what the other has not acknowledged`
        : unconfirmed.length
          ? `${sid} new: the old session is gone, its unconfirmed messages are not re-sent`
          : `${sid} new`
      logEvent('session', `${detail} · unconfirmed ${unconfirmed.length}`, {
        resumed: String(resumed),
        unconfirmed: unconfirmed.length,
      })
    })
    // --- receiving -----------------------------------------------------------------------------

    s.on('message', (data) => {
      if (typeof data !== 'string') {
        logMessage('in', '', `[binary frame, ${data.size ?? data.byteLength} bytes]`, '')
        return
      }
      let msg
      try {
        msg = JSON.parse(data)
      } catch {
        logMessage('in', '', data, 'not ours')
        return
      }
      if (msg.from !== from) {
        if (msg.kind === 'text') logMessage('in', msg.n, msg.text, 'other tab')
        return
      }
      if (msg.kind === 'mark') {
        settle(ledger.markerEchoed(msg.m))
        return
      }
      const fate = ledger.echoed(msg.n)
      if (fate === 'recovered' || fate === 'late') bump($('recovered'))
      if (fate === 'late') {
        logEvent('order', `#${msg.n} echoed after a marker sent later: counted recovered, not lost`)
      }
      if (msg.kind === 'burst') onBurstEcho(msg)
      else if (msg.kind === 'text')
        logMessage('in', msg.n, msg.text, fate === 'delivered' ? '' : 'recovered')
    })

    // The marker's echo came back: what was sent before the drop and is still silent is lost.
    function settle(report) {
      if (!report) return
      const { lost, recovered } = report
      const parts = []
      if (recovered.length) {
        parts.push(`${window.ledgerRanges(recovered)} recovered and re-sent (${recovered.length})`)
      }
      if (lost.length) {
        parts.push(`${window.ledgerRanges(lost.map((m) => m.n))} lost in TCP (${lost.length})`)
      }
      logEvent('accounted', `sent before the drop: ${parts.join('; ')}`)
      for (const m of lost) if (m.kind === 'text') logMessage('lost', m.n, m.text, 'lost in TCP')
    }

    // --- events --------------------------------------------------------------------------------

    s.on('open', ({ isReconnect }) => {
      openedAt = performance.now()
      wasOpen = true
      logEvent('open', isReconnect ? 'reconnected' : 'connected')
      // After the flush (recovered messages first): its echo settles what is still in doubt.
      const marker = ledger.nextMarker()
      if (marker !== null) {
        socket.send(JSON.stringify({ kind: 'mark', from, m: marker }))
        const doubt = ledger.counts().inDoubt
        logEvent(
          'accounted',
          `${doubt} sent before the drop not echoed yet: marker sent after them`,
        )
      }
    })
    s.on('close', ({ code, reason, wasClean, willReconnect }) => {
      // A drop: an open connection lost without the page asking (failed attempts do not count).
      if (wasOpen && performance.now() > userCloseUntil) drops += 1
      if (wasOpen) ledger.closed()
      wasOpen = false
      const why = reason ? ` “${reason}”` : ''
      const how = `${wasClean ? 'clean' : 'not clean'} · ${willReconnect ? 'will reconnect' : 'final'}`
      logEvent('close', `code ${code}${why} · ${how}`)
    })
    s.on('error', (error) => logEvent('error', `${error.name}: ${error.message}`))
    s.on('reconnecting', ({ attempt, delay }) => {
      retryAt = performance.now() + delay
      logEvent('reconnecting', `attempt ${attempt} in ${formatMs(delay)}`)
    })
    s.on('stable', () => logEvent('stable', 'open long enough: attempt counter reset'))
    s.on('exhausted', ({ attempts }) => logEvent('exhausted', `gave up after ${attempts} retries`))
    s.on('drain', () => logEvent('drain', 'queue empty, native buffer below the low-water mark'))
    s.on('drop', ({ messages, reason }) => {
      for (const raw of messages) {
        try {
          const msg = JSON.parse(raw)
          if (msg.from === from && msg.kind !== 'mark') ledger.dropped(msg.n)
        } catch {
          // not one of ours (a heartbeat ping)
        }
      }
      // Overflow drops come one per send(): fold a run of them into one row.
      const row = $('log').firstElementChild
      if (row && row.dataset.event === 'drop' && row.dataset.reason === reason) {
        const total = Number(row.dataset.count) + messages.length
        row.dataset.count = String(total)
        row.querySelector('.detail').textContent = dropText(total, reason)
        return
      }
      logEvent('drop', dropText(messages.length, reason), { reason, count: messages.length })
    })
    s.on('status', ({ status, previous }) => {
      renderStatus(status)
      logEvent('status', `${previous} → ${status}`, { status })
    })
  }

  // --- controls: add an entry here and it gets a button ----------------------------------------

  const CONTROLS = [
    {
      group: 'Break the connection',
      items: [
        {
          id: 'drop',
          label: 'Drop connection',
          hint: 'TCP reset, no close frame',
          run: () => control('drop'),
        },
        {
          id: 'down',
          label: 'Server down for 5 s',
          hint: 'drop, then refuse (503)',
          run: () => control('down', { ms: 5000 }),
        },
        {
          id: 'silent',
          label: 'Go silent 12 s',
          hint: 'half-open: heartbeat notices',
          run: () => control('silent', { ms: 12_000 }),
        },
        {
          id: 'drop-mid-stream',
          label: 'Drop mid-stream',
          hint: 'slow reader, drop at 1.5 s',
          run: dropMidStream,
        },
      ],
    },
    {
      group: 'Close from the server',
      items: [
        {
          id: 'server-close-4000',
          label: 'Close 4000',
          hint: 'app code: reconnects',
          run: () => control('close', { code: 4000, reason: 'restarting' }),
        },
        {
          id: 'server-close-1008',
          label: 'Close 1008',
          hint: 'policy: stays closed',
          run: () => control('close', { code: 1008, reason: 'go away' }),
        },
      ],
    },
    {
      group: 'Load and backpressure',
      items: [
        {
          id: 'slow',
          label: 'Slow reader',
          hint: `server stops reading ${SLOW_MS / 1000} s`,
          run: slowReader,
        },
        {
          id: 'burst',
          label: 'Burst 10 000',
          hint: 'count echoes, check order',
          run: startBurst,
        },
      ],
    },
    {
      group: 'Socket',
      compact: true,
      items: [
        { id: 'close', label: 'Close', run: () => userClose(() => socket.close(1000, 'bye')) },
        { id: 'open', label: 'Open', run: () => socket.open() },
        { id: 'reconnect', label: 'Reconnect', run: () => userClose(() => socket.reconnect()) },
      ],
    },
  ]

  for (const group of CONTROLS) {
    const box = document.createElement('div')
    box.className = 'control-group'
    const title = document.createElement('h3')
    title.textContent = group.group
    const row = document.createElement('div')
    row.className = group.compact ? 'control-buttons compact' : 'control-buttons'
    for (const item of group.items) {
      const button = document.createElement('button')
      button.type = 'button'
      button.id = `control-${item.id}`
      button.dataset.testid = item.id
      button.append(item.label)
      if (item.hint) {
        const hint = document.createElement('small')
        hint.textContent = item.hint
        button.append(hint)
      }
      button.addEventListener('click', () => {
        Promise.resolve()
          .then(item.run)
          .catch((error) => logEvent('error', `${item.label}: ${error.message}`))
      })
      buttons[item.id] = button
      row.append(button)
    }
    box.append(title, row)
    $('controls').append(box)
  }

  function userClose(action) {
    userCloseUntil = performance.now() + 1000
    action()
  }

  // POST /control/<command>?<params> on the demo server (test/support/fault-server.mjs).
  async function control(command, params = {}) {
    const query = new URLSearchParams(params).toString()
    const response = await fetch(`/control/${command}${query ? `?${query}` : ''}`, {
      method: 'POST',
    })
    const body = await response.json()
    if (!response.ok) throw new Error(body.error ?? `HTTP ${response.status}`)
    const details = Object.entries(params).map(([key, value]) =>
      key === 'ms' ? `for ${formatMs(value)}` : `${key} ${value}`,
    )
    logEvent('control', [command, ...details].join(' '))
    renderServer(body)
    return body
  }

  // Pause the server's reads, then keep writing 64 KB messages: the kernel buffers fill first,
  // then the browser's own buffer, then steadysocket's queue. Stops before the queue could overflow.
  async function slowReader() {
    const button = buttons.slow
    if (button.dataset.running) return
    button.dataset.running = ''
    await control('slow', { ms: SLOW_MS })
    const pad = 'x'.repeat(SLOW_CHUNK)
    const started = performance.now()
    let count = 0
    // Counted from send()'s results, not queuedBytes: in a follower tab (?tabs=1) the queue is
    // the leader's, and this tab's queuedBytes stays 0.
    let queued = 0
    const maxQueued = (640 * 1024) / SLOW_CHUNK
    await new Promise((resolve) => {
      const timer = setInterval(() => {
        const elapsed = performance.now() - started
        if (count >= 400 || elapsed > SLOW_MS - 500 || socket.status !== 'open') {
          clearInterval(timer)
          resolve()
          return
        }
        for (let i = 0; i < 8 && count < 400 && queued < maxQueued; i++) {
          if (send('slow', { pad }).result === 'queued') queued += 1
          count += 1
        }
      }, 25)
    })
    logEvent('control', `slow reader: wrote ${count} × 64 KB while the server was not reading`)
    delete button.dataset.running
  }

  // The bytes still in the browser's buffer when the socket dies come back through
  // recoverUnsent and are echoed by the next connection ("recovered"); what the kernel already
  // had dies with the connection ("lost in TCP"). The ledger counts both once the marker returns.
  async function dropMidStream() {
    const pumping = slowReader()
    await new Promise((resolve) => setTimeout(resolve, 1500))
    await control('drop')
    await pumping
  }

  function startBurst() {
    const id = seq + 1
    const results = { sent: 0, queued: 0, dropped: 0 }
    burst = { id, expected: BURST_SIZE, echoed: 0, last: 0, outOfOrder: 0, results }
    burst.started = performance.now()
    for (let i = 1; i <= BURST_SIZE; i++) results[send('burst', { b: id, i }).result] += 1
    // A message the queue refused (overflow) is reported in a drop event and never echoes.
    burst.expected = BURST_SIZE - results.dropped
    $('burst').hidden = false
    renderBurst()
    const counts = Object.entries(results).map(([k, v]) => `${v.toLocaleString('en')} ${k}`)
    logEvent('burst', `${BURST_SIZE.toLocaleString('en')} messages: ${counts.join(', ')}`)
  }

  function onBurstEcho(msg) {
    if (!burst || msg.b !== burst.id) return
    burst.echoed += 1
    if (msg.i <= burst.last) burst.outOfOrder += 1
    burst.last = Math.max(burst.last, msg.i)
    if (burst.echoed === burst.expected) {
      logEvent(
        'burst',
        `all ${burst.expected.toLocaleString('en')} echoes back in ${formatMs(performance.now() - burst.started)}`,
      )
    }
  }

  // --- rendering -------------------------------------------------------------------------------

  function renderStatus(status) {
    const pill = $('status')
    pill.dataset.status = status
    pill.textContent = status
    if (status !== 'reconnecting') retryAt = 0
    if (status !== 'open') openedAt = 0
    if (buttons.open) buttons.open.disabled = status !== 'closed'
    if (buttons.close) buttons.close.disabled = status === 'closed'
  }

  function renderBurst() {
    if (!burst) return
    const dropped = burst.results.dropped
    $('burst-text').textContent =
      `${burst.echoed.toLocaleString('en')} / ${burst.expected.toLocaleString('en')} echoes` +
      (dropped ? ` (${dropped.toLocaleString('en')} dropped by the queue)` : '')
    $('burst-progress').max = burst.expected
    $('burst-progress').value = burst.echoed
    const order = $('burst-order')
    order.textContent = burst.outOfOrder ? `${burst.outOfOrder} out of order` : 'in order ✓'
    order.dataset.result = burst.outOfOrder ? 'bad' : 'ok'
  }

  function renderServer(state) {
    const flags = [
      state.refusing && 'refusing',
      state.paused && 'not reading',
      state.silent && 'silent',
    ].filter(Boolean)
    $('server').textContent =
      `server: ${state.liveConnections} live · ${state.totalConnections} accepted · ` +
      `${state.received.toLocaleString('en')} received${flags.length ? ` · ${flags.join(', ')}` : ''}`
  }

  function renderGauges() {
    const buffered = socket.bufferedAmount
    const queued = socket.queuedBytes
    const native = Math.max(0, buffered - queued)
    $('attempt').textContent = String(socket.attempt)
    $('retry').textContent = retryAt ? formatMs(Math.max(0, retryAt - performance.now())) : '—'
    $('buffered').textContent = formatBytes(buffered)
    $('native').textContent = formatBytes(native)
    $('queue-length').textContent = socket.queueLength.toLocaleString('en')
    $('queued-bytes').textContent = formatBytes(queued)
    renderLedger()
    $('uptime').textContent = openedAt ? formatUptime(performance.now() - openedAt) : '—'
    $('drops').textContent = drops.toLocaleString('en')
    renderBurst()
    history.push({ native, queued })
    if (history.length > SAMPLES) history.splice(0, history.length - SAMPLES)
    drawChart()
  }

  function renderLedger() {
    const c = ledger.counts()
    const cells = {
      'sent-count': c.sent,
      delivered: c.delivered,
      recovered: c.recovered,
      lost: c.lost,
      dropped: c.dropped,
      awaiting: c.awaiting,
    }
    for (const [id, value] of Object.entries(cells)) $(id).textContent = value.toLocaleString('en')
    for (const fate of ['delivered', 'recovered', 'lost', 'dropped', 'awaiting']) {
      $(`bar-${fate}`).style.flexGrow = String(c.sent ? c[fate] / c.sent : 0)
    }
    $('ledger').dataset.settled = String(c.awaiting === 0)
    for (const mode of ['plain', 'resume']) {
      const m = ledgers[mode].counts()
      $(`cmp-${mode}-sent`).textContent = m.sent.toLocaleString('en')
      $(`cmp-${mode}-echoed`).textContent = (m.delivered + m.recovered).toLocaleString('en')
      $(`cmp-${mode}-lost`).textContent = m.lost.toLocaleString('en')
      $(`cmp-${mode}-lost`).dataset.zero = String(m.lost === 0)
      $(`cmp-${mode}`).dataset.current = String(mode === (resumeOn ? 'resume' : 'plain'))
    }
    $('ledger-note').textContent = ledgerNote(c)
  }

  function ledgerNote(c) {
    if (c.sent === 0)
      return 'Send something, or press a button: every message is accounted for here.'
    const open = socket.status === 'open'
    if (c.inDoubt > 0) {
      return open
        ? `${plural(c.inDoubt, 'message')} sent before the drop not echoed yet: counted when the marker sent after them comes back (the server may still be slow).`
        : `${plural(c.inDoubt, 'message')} sent before the drop: counted once the socket is open again and has flushed.`
    }
    const lost = !c.lost
      ? ''
      : resumeOn
        ? `${plural(c.lost, 'message')} lost: the server no longer had the session (restarted, or the window passed), so they were unconfirmed and not re-sent. `
        : `${plural(c.lost, 'message')} lost in TCP: already handed to the kernel when the connection died, which no browser API can give back (switch resume on: its acknowledgements cover that). `
    const recovered = !c.recovered
      ? ''
      : resumeOn
        ? `${plural(c.recovered, 'message')} came back after a drop: the session replayed them (the page re-sent what the server had not acknowledged, the server the echoes the page had not). `
        : `${plural(c.recovered, 'message')} came back after a drop: steadysocket kept them and sent them again. `
    const dropped = c.dropped
      ? `${plural(c.dropped, 'message')} dropped by steadysocket (send() said so, or a drop event named them). `
      : ''
    const waiting = c.awaiting ? `${plural(c.awaiting, 'echo', 'echoes')} in flight.` : ''
    const text = `${lost}${recovered}${dropped}${waiting}`.trim()
    return text || 'Every message came back.'
  }

  function plural(count, one, many = `${one}s`) {
    return `${count.toLocaleString('en')} ${count === 1 ? one : many}`
  }

  function drawChart() {
    const canvas = $('chart')
    const ratio = window.devicePixelRatio || 1
    const width = Math.round(canvas.clientWidth * ratio)
    const height = Math.round(canvas.clientHeight * ratio)
    if (!width || !height) return
    if (canvas.width !== width || canvas.height !== height) {
      canvas.width = width
      canvas.height = height
    }
    const css = getComputedStyle(document.documentElement)
    const ctx = canvas.getContext('2d')
    ctx.clearRect(0, 0, width, height)
    const peak = history.reduce((max, s) => Math.max(max, s.native + s.queued), 0)
    const top = Math.max(HIGH_WATER * 1.5, peak * 1.1)
    $('chart-scale').textContent = `top ${formatBytes(top)}`
    const step = width / (SAMPLES - 1)
    const x0 = width - (history.length - 1) * step
    const y = (bytes) => height - (bytes / top) * (height - 6 * ratio)
    const area = (value, color) => {
      ctx.beginPath()
      ctx.moveTo(x0, height)
      history.forEach((s, i) => ctx.lineTo(x0 + i * step, y(value(s))))
      ctx.lineTo(x0 + (history.length - 1) * step, height)
      ctx.closePath()
      ctx.fillStyle = color
      ctx.fill()
    }
    area((s) => s.native + s.queued, css.getPropertyValue('--queue').trim())
    area((s) => s.native, css.getPropertyValue('--native').trim())
    ctx.setLineDash([6 * ratio, 4 * ratio])
    ctx.strokeStyle = css.getPropertyValue('--bad').trim()
    ctx.lineWidth = 1.5 * ratio
    ctx.beginPath()
    ctx.moveTo(0, y(HIGH_WATER))
    ctx.lineTo(width, y(HIGH_WATER))
    ctx.stroke()
    ctx.setLineDash([])
  }

  function dropText(count, reason) {
    return `${count.toLocaleString('en')} message${count === 1 ? '' : 's'} dropped: ${reason}`
  }

  function logEvent(type, detail, data = {}) {
    const row = document.createElement('li')
    row.className = `ev-${type}`
    row.dataset.event = type
    for (const [key, value] of Object.entries(data)) row.dataset[key] = value
    row.append(timeCell(), chip(type), textCell(detail))
    prepend($('log'), row)
  }

  function logMessage(direction, n, text, badge) {
    const row = document.createElement('li')
    row.className = direction
    row.dataset.direction = direction
    const arrow = { out: '→', in: '←', lost: '✗' }[direction]
    const detail = textCell(text)
    if (badge) {
      const mark = document.createElement('span')
      mark.className = 'badge'
      mark.textContent = badge
      detail.append(mark)
    }
    row.append(timeCell(), chip(n === '' ? arrow : `${arrow} #${n}`), detail)
    prepend($('messages'), row)
  }

  function prepend(list, row) {
    list.prepend(row)
    while (list.childElementCount > LOG_ROWS) list.lastElementChild.remove()
  }

  function timeCell() {
    const time = document.createElement('time')
    const now = new Date()
    time.dateTime = now.toISOString()
    time.textContent =
      now.toTimeString().slice(0, 8) + `.${String(now.getMilliseconds()).padStart(3, '0')}`
    return time
  }

  function chip(text) {
    const span = document.createElement('span')
    span.className = 'chip'
    span.textContent = text
    return span
  }

  function textCell(text) {
    const span = document.createElement('span')
    span.className = 'detail'
    span.textContent = text
    return span
  }

  function showResult(element, result) {
    element.textContent = `'${result}'`
    element.dataset.result = result
  }

  function bump(element) {
    element.classList.remove('bump')
    void element.offsetWidth // restart the animation
    element.classList.add('bump')
  }

  function showBanner(text) {
    const banner = $('banner')
    banner.textContent = text
    banner.hidden = false
  }

  function literal(value) {
    if (typeof value === 'string') return `'${value}'`
    if (typeof value !== 'object' || value === null) return String(value)
    const fields = Object.entries(value).map(([key, field]) => `${key}: ${literal(field)}`)
    return `{ ${fields.join(', ')} }`
  }

  function formatBytes(bytes) {
    if (bytes < 1024) return `${bytes} B`
    if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KB`
    return `${(bytes / 1024 / 1024).toFixed(2)} MB`
  }

  function formatUptime(ms) {
    const seconds = Math.floor(ms / 1000)
    if (seconds < 60) return `${seconds} s`
    return `${Math.floor(seconds / 60)} min ${String(seconds % 60).padStart(2, '0')} s`
  }

  function formatMs(ms) {
    return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(1)} s`
  }

  // --- the resume switch -----------------------------------------------------------------------

  $('resume-switch').addEventListener('change', (event) => switchResume(event.target.checked))

  // A new socket on the other endpoint, with the other mode's ledger; the old socket is disposed
  // (with resume, its close() ends the session: the server sees end 'closed'). What the old one
  // still awaited an echo for cannot come back any more: its ledger counts it dropped.
  function switchResume(on) {
    if (on === resumeOn) return
    params.set('resume', on ? '1' : '0')
    // Every tab on the shared connection must agree: the page reloads with the new mode.
    if (shared) {
      location.search = params.toString()
      return
    }
    window.history.replaceState(null, '', `?${params}`)
    const old = socket
    userClose(() => old.dispose())
    ledger.abandoned()
    resumeOn = on
    ledger = ledgers[on ? 'resume' : 'plain']
    wasOpen = false
    logEvent(
      'resume',
      on
        ? 'on: a new socket with resume: true, on /resume (resumable() echoes each message)'
        : 'off: a new plain socket, on /echo',
    )
    connect()
  }

  connect()

  // --- loops: they live as long as the page ---------------------------------------------------

  setInterval(renderGauges, 100)
  setInterval(() => {
    fetch('/control/state')
      .then((response) => response.json())
      .then(renderServer)
      .catch(() => {
        $('server').textContent = 'server: unreachable'
      })
  }, 1000)
  renderGauges()

  // For the console (and the browser tests).
  window.demo = {
    get socket() {
      return socket
    },
    get resume() {
      return resumeOn
    },
    setResume: switchResume,
    ledger: () => ledger.counts(),
    ledgers: () => ({ plain: ledgers.plain.counts(), resume: ledgers.resume.counts() }),
    burst: () => burst,
  }
})()
