import { chmod, mkdir, unlink } from 'node:fs/promises'
import { connect, createServer, type Server, type Socket } from 'node:net'
import { dirname } from 'node:path'
import { createInterface } from 'node:readline'
import type { Engine } from '../engine/engine-api.js'
import type { AgentStatus } from '../engine/status.js'
import { ConfigError } from '../model/errors.js'
import type { IpfoEvent } from '../model/events.js'
import { type ControlRequest, type ControlResponse, parseRequest } from './control-protocol.js'
import { heapAfterGc } from './heap-after-gc.js'

export interface ControlServer {
  /** Pushes an event to every client following the event stream. */
  publish(event: IpfoEvent): void
  close(): Promise<void>
}

/**
 * Serves `ipfo status`, `takeover`, `release`, `maintenance` and `events` (and `gc`, for leak
 * checks) on a Unix socket with mode 0600 in a 0700 directory: only root (the agent's user) can connect.
 */
export async function startControlServer(
  path: string,
  engine: Engine,
  /** More of the agent's status than the engine knows (the guard), merged into `status`. */
  more: () => Partial<AgentStatus> = () => ({}),
): Promise<ControlServer> {
  await mkdir(dirname(path), { recursive: true, mode: 0o700 })
  await removeStaleSocket(path)
  const followers = new Set<Socket>()
  const server: Server = createServer((socket) => {
    socket.on('error', () => followers.delete(socket))
    socket.on('close', () => followers.delete(socket))
    const lines = createInterface({ input: socket })
    // readline passes on the socket's errors (a client reset: `ipfo status` interrupted): the
    // socket's own listener deals with them; thrown again here, they would end the agent.
    lines.on('error', () => undefined)
    lines.on('line', (line) => {
      const request = parseRequest(line)
      if ('error' in request) return write(socket, { id: -1, ok: false, error: request.error })
      if (request.method === 'events' && request.follow) {
        followers.add(socket)
        for (const event of engine.recentEvents()) socket.write(`${JSON.stringify({ event })}\n`)
        return
      }
      write(socket, answer(engine, request, more))
    })
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(path, () => {
      server.off('error', reject)
      resolve()
    })
  })
  await chmod(path, 0o600)
  return {
    publish(event) {
      if (followers.size === 0) return
      const line = `${JSON.stringify({ event })}\n`
      for (const socket of followers) socket.write(line)
    },
    async close() {
      for (const socket of followers) socket.destroy()
      await new Promise<void>((resolve) => server.close(() => resolve()))
      await unlink(path).catch(() => {})
    },
  }
}

function answer(engine: Engine, request: ControlRequest, more: () => Partial<AgentStatus>): ControlResponse {
  const { id } = request
  switch (request.method) {
    case 'status':
      return { id, ok: true, result: { ...engine.status(), ...more(), process: processFacts() } }
    case 'events':
      return { id, ok: true, result: engine.recentEvents() }
    case 'takeover':
    case 'release': {
      const refusal =
        request.method === 'takeover' ? engine.takeover(request.owner) : engine.release(request.owner)
      return refusal ? { id, ok: false, error: refusal } : { id, ok: true, result: { accepted: true } }
    }
    case 'maintenance':
      engine.maintenance(request.on)
      return { id, ok: true, result: { maintenance: request.on } }
    case 'gc':
      try {
        return { id, ok: true, result: heapAfterGc(request.snapshotDir) }
      } catch (error) {
        return { id, ok: false, error: (error as Error).message }
      }
  }
}

function write(socket: Socket, response: ControlResponse): void {
  socket.write(`${JSON.stringify(response)}\n`)
}

/** A socket file left by a killed agent is removed; one that answers belongs to a running agent. */
async function removeStaleSocket(path: string): Promise<void> {
  const alive = await new Promise<boolean>((resolve) => {
    const probe = connect(path)
    probe.once('connect', () => {
      probe.destroy()
      resolve(true)
    })
    probe.once('error', () => resolve(false))
  })
  if (alive) {
    throw new ConfigError(`another ipfo agent is already running on control socket ${path}`, {
      path: 'paths.socket',
      hint: 'stop it first, or give this agent its own paths.socket',
    })
  }
  await unlink(path).catch(() => {})
}

/** The agent process's own footprint, for monitoring and leak checks. */
function processFacts(): NonNullable<AgentStatus['process']> {
  const memory = process.memoryUsage()
  return { pid: process.pid, rssBytes: memory.rss, heapUsedBytes: memory.heapUsed }
}
