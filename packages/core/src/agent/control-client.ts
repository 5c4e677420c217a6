import { connect } from 'node:net'
import { createInterface } from 'node:readline'
import { ControlError } from '../model/errors.js'
import type { IpfoEvent } from '../model/events.js'
import type { ControlResponse } from './control-protocol.js'

type RequestBody =
  | { method: 'status' }
  | { method: 'events' }
  | { method: 'takeover'; owner: string }
  | { method: 'release'; owner: string }
  | { method: 'maintenance'; on: boolean }
  | { method: 'gc'; snapshotDir?: string }

/** Sends one request to the agent and returns its result; a refusal or an unreachable agent throws ControlError. */
export function controlRequest<T = unknown>(
  path: string,
  body: RequestBody,
  opts: { timeoutMs?: number } = {},
): Promise<T> {
  return new Promise((resolve, reject) => {
    const socket = connect(path)
    const timer = setTimeout(() => {
      socket.destroy()
      reject(new ControlError(`the agent on ${path} did not answer within ${opts.timeoutMs ?? 5000}ms`))
    }, opts.timeoutMs ?? 5000)
    socket.on('error', (error: NodeJS.ErrnoException) => {
      clearTimeout(timer)
      reject(unreachable(path, error))
    })
    // The line reader is made only once connected: made earlier, it would re-throw a connect error.
    socket.once('connect', () => {
      socket.write(`${JSON.stringify({ id: 1, ...body })}\n`)
      // readline passes on its input's errors: the socket's listener answers them, so it must not
      // throw them again (an agent reset mid-request, by a reload, would crash the caller).
      const lines = createInterface({ input: socket })
      lines.on('error', () => undefined)
      lines.once('line', (line) => {
        clearTimeout(timer)
        socket.destroy()
        const response = JSON.parse(line) as ControlResponse
        if (response.ok) resolve(response.result as T)
        else reject(new ControlError(`the agent refused: ${response.error}`))
      })
    })
  })
}

/** Streams the agent's events (recent ones first) until `signal` aborts. */
export function followEvents(
  path: string,
  onEvent: (event: IpfoEvent) => void,
  signal?: AbortSignal,
): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = connect(path)
    socket.on('error', (error: NodeJS.ErrnoException) => reject(unreachable(path, error)))
    socket.once('connect', () => {
      socket.write(`${JSON.stringify({ id: 1, method: 'events', follow: true })}\n`)
      const lines = createInterface({ input: socket })
      lines.on('error', () => undefined)
      lines.on('line', (line) => onEvent((JSON.parse(line) as { event: IpfoEvent }).event))
    })
    socket.once('close', () => resolve())
    signal?.addEventListener('abort', () => socket.destroy(), { once: true })
  })
}

function unreachable(path: string, error: NodeJS.ErrnoException): ControlError {
  if (error.code === 'EACCES') {
    return new ControlError(`permission denied on control socket ${path}`, {
      hint: "run ipfo as root (the agent's user)",
    })
  }
  if (error.code === 'ENOENT' || error.code === 'ECONNREFUSED') {
    return new ControlError(`no agent is listening on ${path}`, {
      hint: 'start it with "ipfo agent --config <file>", or pass the same --config the agent uses',
    })
  }
  return new ControlError(`cannot reach the agent on ${path}: ${error.message}`)
}
