// The chat page: plain JS over the script-tag bundle (global `SteadySocket`), JSON in and out.
// Client → server: { type: 'say', name, text }
// Server → client: { type: 'said', name, text, at } and { type: 'presence', online }
;(() => {
  'use strict'

  const $ = (id) => document.getElementById(id)

  const SteadySocket = window.SteadySocket
  if (typeof SteadySocket !== 'function') {
    const banner = $('banner')
    banner.textContent =
      'The bundle /steadysocket.umd.min.js did not load. Run `npm run build` ' +
      '(or `npm run example:chat`, which builds first) and reload.'
    banner.hidden = false
    return
  }

  const socket = new SteadySocket('ws://' + location.host + '/chat', {
    codec: SteadySocket.json(),
  })

  $('name').value = `guest-${String(Math.floor(1000 + Math.random() * 9000))}`

  // Sent while reconnecting, a message waits in the queue and goes out on the next connection.
  $('send-form').addEventListener('submit', (event) => {
    event.preventDefault()
    const input = $('input')
    const text = input.value.trim()
    const name = $('name').value.trim()
    if (!text || !name) return
    socket.send({ type: 'say', name, text })
    input.value = ''
    input.focus()
  })

  socket.on('message', (msg) => {
    if (msg.type === 'said') addMessage(msg)
    else if (msg.type === 'presence') $('online').textContent = `${msg.online} online`
  })
  // A frame that is not JSON: say so, keep the socket.
  socket.on('error', (error) => console.warn('chat:', error.message))

  socket.on('status', ({ status }) => renderStatus(status))
  renderStatus(socket.status)

  function renderStatus(status) {
    const pill = $('status')
    pill.dataset.status = status
    pill.textContent = status
  }

  function addMessage({ name, text, at }) {
    const list = $('messages')
    const row = document.createElement('li')
    if (name === $('name').value.trim()) row.className = 'mine'
    const who = document.createElement('b')
    who.textContent = name
    const when = document.createElement('time')
    when.dateTime = new Date(at).toISOString()
    when.textContent = new Date(at).toLocaleTimeString()
    const body = document.createElement('span')
    body.textContent = text
    row.append(who, when, body)
    list.append(row)
    // Keep the page light however long the chat runs.
    while (list.childElementCount > 500) list.firstElementChild.remove()
    row.scrollIntoView({ block: 'nearest' })
  }
})()
