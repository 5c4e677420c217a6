// Who holds the VIP, as the network sees it: answers the client's broadcast probes ("b <seq>") with
// this node's name while this node holds the VIP. Run inside the node's namespace: node witness.js
// <node> <vip> <port>. A process apart from the service, so that a node holding the VIP is still
// heard while its service is dead (service death): two answers to one probe are two holders.
import { createSocket } from 'node:dgram'
import { networkInterfaces } from 'node:os'

const [node, vip, port] = process.argv.slice(2)
const holds = () => Object.values(networkInterfaces()).some((list) => list?.some((a) => a.address === vip))
const socket = createSocket('udp4')
socket.on('error', () => {})
socket.on('message', (message, from) => {
  const [kind, seq] = message.toString().split(' ')
  if (kind !== 'b' || !holds()) return
  socket.send(`${kind} ${seq} ${node}`, from.port, from.address)
})
socket.bind(Number(port), '0.0.0.0', () => process.stdout.write('ready\n'))
process.on('SIGTERM', () => process.exit(0))
