// The demo's client: sends a UDP probe to the VIP every <everyMs> and times the answers on its own
// clock, so the outage it reports is what one client saw, not what another process read from a
// pipe. Run as a script inside the client namespace: node probe-client.js <vip> <port> <everyMs>.
// Prints "ready", then {"heard":"<node>"} each time the answering node changes; on SIGTERM, one
// JSON line with the totals, and exits.
import { createSocket } from 'node:dgram'

const [vip = '', port = '7007', everyMs = '2'] = process.argv.slice(2)
const socket = createSocket(vip.includes(':') ? 'udp6' : 'udp4')
let sent = 0
let answered = 0
let lastAnswerAt: number | undefined
let longestGapMs = 0
let heard: string | undefined

socket.on('error', () => {})
socket.on('message', (message) => {
  const now = performance.now()
  const node = message.toString().split(' ')[1]
  answered++
  if (lastAnswerAt !== undefined) longestGapMs = Math.max(longestGapMs, now - lastAnswerAt)
  lastAnswerAt = now
  if (node !== heard) {
    heard = node
    process.stdout.write(`${JSON.stringify({ heard: node })}\n`)
  }
})
socket.bind(0, () => {
  process.stdout.write('ready\n')
  const timer = setInterval(() => {
    sent++
    socket.send(String(sent), Number(port), vip)
  }, Number(everyMs))
  process.on('SIGTERM', () => {
    clearInterval(timer)
    // An outage still running when the probe stops counts up to now.
    if (lastAnswerAt !== undefined) longestGapMs = Math.max(longestGapMs, performance.now() - lastAnswerAt)
    const totals = { probes: sent, answered, longestOutageMs: Math.round(longestGapMs) }
    process.stdout.write(`${JSON.stringify(totals)}\n`, () => process.exit(0))
  })
})
