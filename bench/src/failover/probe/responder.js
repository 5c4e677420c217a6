// The service on a node: answers the client's UDP probes with this node's name. Run inside the node's
// namespace: node responder.js <node> <vip> <port>. A unicast probe ("u <seq>") reaches this socket
// only while the VIP is a local address here, so the kernel decides. A broadcast probe ("b <seq>")
// reaches every node; it is answered only while this node holds the VIP, which is how the client
// sees two holders at once.
import { createSocket } from 'node:dgram'
import { networkInterfaces } from 'node:os'

const [node, vip, port] = process.argv.slice(2)
const holds = () => Object.values(networkInterfaces()).some((list) => list?.some((a) => a.address === vip))
const socket = createSocket('udp4')
socket.on('error', () => {})
socket.on('message', (message, from) => {
  const [kind, seq] = message.toString().split(' ')
  if (kind === 'b' && !holds()) return
  socket.send(`${kind} ${seq} ${node}`, from.port, from.address)
})
socket.bind(Number(port), '0.0.0.0', () => process.stdout.write('ready\n'))
process.on('SIGTERM', () => process.exit(0))
