// The service on a node, what the client talks to: answers the client's UDP probes to the VIP with
// this node's name, and serves HTTP on 127.0.0.1:<httpPort> (200 "ok") for the health checks, so a
// check and the client's answers die together (the service-death fault kills this process). Run
// inside the node's namespace: node service.js <node> <port> <httpPort>. A probe ("u <seq>") reaches
// this socket only while the VIP is a local address here, so the kernel decides who answers.
import { createSocket } from 'node:dgram'
import { createServer } from 'node:http'

const [node, port, httpPort] = process.argv.slice(2)
const socket = createSocket('udp4')
socket.on('error', () => {})
socket.on('message', (message, from) => {
  const [kind, seq] = message.toString().split(' ')
  if (kind !== 'u') return
  socket.send(`${kind} ${seq} ${node}`, from.port, from.address)
})
const http = createServer((_, res) => {
  res.writeHead(200, { 'content-type': 'text/plain' })
  res.end('ok')
})
let listening = 0
const ready = () => {
  if (++listening === 2) process.stdout.write('ready\n')
}
socket.bind(Number(port), '0.0.0.0', ready)
http.listen(Number(httpPort), '127.0.0.1', ready)
process.on('SIGTERM', () => process.exit(0))
