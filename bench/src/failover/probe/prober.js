// The client: every <everyMs> sends probe <seq> to the VIP's <port> (unicast, "u": the nodes'
// service answers) and to the public network's broadcast address at <broadcastPort> ("b": the nodes'
// witness answers while it holds the VIP), and prints every answer as "<kind> <seq> <node> <epoch
// ms>". Run inside the client namespace: node prober.js <vip> <broadcast> <port> <broadcastPort> <everyMs>.
import { createSocket } from 'node:dgram'

const [vip, broadcast, port, broadcastPort, everyMs] = process.argv.slice(2)
const now = () => (performance.timeOrigin + performance.now()).toFixed(3)
const socket = createSocket('udp4')
// Sends fail while the VIP has no neighbour entry (mid-failover): that is the outage, not an error.
socket.on('error', () => {})
socket.on('message', (message) => process.stdout.write(`${message} ${now()}\n`))
let seq = 0
socket.bind(() => {
  socket.setBroadcast(true)
  process.stdout.write(`ready 0 - ${now()}\n`)
  setInterval(() => {
    seq++
    socket.send(`u ${seq}`, Number(port), vip)
    socket.send(`b ${seq}`, Number(broadcastPort), broadcast)
  }, Number(everyMs))
})
process.on('SIGTERM', () => {
  process.stdout.write(`sent ${seq} - ${now()}\n`, () => process.exit(0))
})
