// The least any Node.js agent pays for ipfo's heartbeat traffic at 10 ms (or the interval given),
// measured beside each idle window (bench:idle): two of these on loopback play a pair. Each, every
// interval on a timer planned
// ahead (as the agent's), sends a 200-byte packet with an HMAC-SHA256 on each of two sockets (two
// links), and checks the HMAC of every packet it gets. Nothing else: no state, no log.
//   node heartbeat-floor.js <my port A> <my port B> <peer port A> <peer port B> [<interval ms>]
import { createHmac, createSecretKey } from 'node:crypto'
import { createSocket } from 'node:dgram'

const [myA, myB, peerA, peerB, intervalMs = 10] = process.argv.slice(2).map(Number)
const key = createSecretKey(Buffer.alloc(32, 7))
const links = [
  { socket: createSocket('udp4'), mine: myA, peer: peerA },
  { socket: createSocket('udp4'), mine: myB, peer: peerB },
]
let seq = 0
let good = 0
for (const { socket } of links) {
  socket.on('error', () => {})
  socket.on('message', (packet) => {
    const body = packet.subarray(0, packet.length - 32)
    if (
      createHmac('sha256', key)
        .update(body)
        .digest()
        .equals(packet.subarray(packet.length - 32))
    )
      good++
  })
}
await Promise.all(links.map((l) => new Promise((resolve) => l.socket.bind(l.mine, '127.0.0.1', resolve))))
let next = performance.now()
function beat() {
  seq++
  for (const { socket, peer } of links) {
    const body = Buffer.alloc(168, seq % 251)
    body.writeUInt32BE(seq, 0)
    socket.send(Buffer.concat([body, createHmac('sha256', key).update(body).digest()]), peer, '127.0.0.1')
  }
  next += intervalMs
  setTimeout(beat, Math.max(0, next - performance.now()))
}
beat()
process.on('SIGTERM', () => {
  process.stdout.write(`${JSON.stringify({ sent: seq * 2, verified: good })}\n`)
  process.exit(0)
})
