// The service on a demo node: answers each UDP probe with this node's name. Run as a script inside
// the node's namespace: node probe-responder.js <node> <port> <4|6>. A probe to the VIP reaches
// this socket only on the node that holds the VIP, so the kernel decides who answers.
import { createSocket } from 'node:dgram'

const [node = '?', port = '7007', family = '4'] = process.argv.slice(2)
const socket = createSocket(family === '6' ? 'udp6' : 'udp4')
socket.on('error', () => {})
socket.on('message', (message, from) => socket.send(`${message} ${node}`, from.port, from.address))
socket.bind(Number(port), family === '6' ? '::' : '0.0.0.0', () => process.stdout.write('ready\n'))
process.on('SIGTERM', () => process.exit(0))
