import { type ChildProcess, spawn } from 'node:child_process'
import type { CommandResult, IpBatch } from '../../model/ports.js'
import { DEFAULT_TIMEOUT_MS } from '../command-runner.js'

export interface IpBatchOptions {
  /** The `ip` binary (iproute2). */
  readonly ip?: string
  /** Run inside this network namespace (`ip -n <ns>`): for tests and demos. */
  readonly netns?: string
}

/**
 * After each command, a line that `ip` is sure to refuse at once, without touching the kernel. Its
 * "Command failed -:<line>" on stderr says that every line before it has been done: `ip -batch` says
 * nothing when a command succeeds.
 */
const SYNC = 'ipfo-sync'
const SYNC_ECHO = /^Object "ipfo-sync" is unknown/
const FAILED_LINE = /^Command failed -:(\d+)$/
/** What `ip -batch` reads as one word: no blanks, quotes, comments or escapes. */
const PLAIN_WORD = /^[^\s"'#\\]+$/

interface Request {
  readonly proc: ChildProcess
  readonly line: number
  readonly sync: number
  readonly output: string[]
  failed: boolean
  readonly resolve: (result: CommandResult) => void
  timer?: NodeJS.Timeout
}

/**
 * `ip -force -batch -` kept running, one command at a time. Each request is written with a sync line
 * after it; the request is done when `ip` reports the sync line failed. A command's own failure is
 * its "Command failed -:<its line>", and the lines before that are its message ("Error: ipv4:
 * Address already assigned."), returned as stderr with exit code 1, as a one-shot `ip` would.
 *
 * A request that outlives its timeout kills the process and is answered with a timeout; the next
 * request starts a new process. So does a request after the process died. A word `ip -batch` would
 * not read as one word (blanks, quotes) is refused instead of being sent.
 */
export function ipBatch(opts: IpBatchOptions = {}): IpBatch {
  const ip = opts.ip ?? 'ip'
  const argv = [...(opts.netns === undefined ? [] : ['-n', opts.netns]), '-force', '-batch', '-']
  let child: ChildProcess | undefined
  let lineNo = 0
  let pendingText = ''
  let exitNote = ''
  const queue: {
    args: readonly string[]
    timeoutMs: number
    /** performance.now() past which the command is not sent. */
    sendBy: number
    resolve: (r: CommandResult) => void
  }[] = []
  let current: Request | undefined

  const finish = (result: CommandResult) => {
    const request = current
    if (!request) return
    current = undefined
    if (request.timer) clearTimeout(request.timer)
    request.resolve(result)
    next()
  }

  const onStderrLine = (text: string) => {
    const request = current
    if (!request) return
    const failed = FAILED_LINE.exec(text)
    if (failed) {
      const n = Number(failed[1])
      if (n === request.line) request.failed = true
      if (n !== request.sync) return
      finish({
        exitCode: request.failed ? 1 : 0,
        signal: null,
        stdout: '',
        stderr: request.output.map((l) => `${l}\n`).join(''),
      })
      return
    }
    if (!SYNC_ECHO.test(text)) request.output.push(text)
  }

  const startProcess = (): ChildProcess => {
    lineNo = 0
    pendingText = ''
    exitNote = ''
    const proc = spawn(ip, argv, {
      stdio: ['pipe', 'ignore', 'pipe'],
      // Callers match messages such as "File exists"; a translated locale would hide them.
      env: { ...process.env, LC_ALL: 'C' },
    })
    proc.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
      pendingText += chunk
      const lines = pendingText.split('\n')
      pendingText = lines.pop() ?? ''
      for (const l of lines) onStderrLine(l)
    })
    proc.on('error', (error: NodeJS.ErrnoException) => {
      exitNote =
        error.code === 'ENOENT'
          ? `${ip} is not installed (not found in PATH)\n`
          : `${ip} could not be run: ${error.message}\n`
    })
    proc.on('close', (code, signal) => {
      if (child === proc) child = undefined
      // Whatever was asked of this process and not answered, it will not answer now.
      if (current?.proc === proc)
        finish({
          exitCode: code,
          signal,
          stdout: '',
          stderr: `${current.output.map((l) => `${l}\n`).join('')}${pendingText}${exitNote || `${ip} -batch exited before it answered\n`}`,
        })
    })
    proc.stdin?.on('error', () => undefined)
    return proc
  }

  const next = () => {
    if (current || queue.length === 0) return
    const { args, timeoutMs, sendBy, resolve } = queue.shift()!
    if (performance.now() > sendBy) {
      resolve({
        exitCode: 1,
        signal: null,
        stdout: '',
        stderr: `not sent to ${ip} -batch: it could not be sent in time (it waited behind other commands, or the agent was frozen)\n`,
      })
      next()
      return
    }
    if (!args.every((a) => PLAIN_WORD.test(a))) {
      resolve({
        exitCode: 1,
        signal: null,
        stdout: '',
        stderr: `refused to pass ${JSON.stringify(args.join(' '))} to ${ip} -batch: an argument is not one plain word\n`,
      })
      next()
      return
    }
    if (!child) child = startProcess()
    const proc = child
    const request: Request = { proc, line: ++lineNo, sync: ++lineNo, output: [], failed: false, resolve }
    current = request
    request.timer = setTimeout(() => {
      if (current !== request) return
      finish({
        exitCode: null,
        signal: 'SIGKILL',
        stdout: '',
        stderr: `${request.output.map((l) => `${l}\n`).join('')}${ip} timed out after ${timeoutMs} ms and was killed\n`,
      })
      if (child === proc) child = undefined
      proc.kill('SIGKILL')
    }, timeoutMs)
    proc.stdin?.write(`${args.join(' ')}\n${SYNC}\n`)
  }

  return {
    run(args, runOpts = {}) {
      return new Promise<CommandResult>((resolve) => {
        queue.push({
          args,
          timeoutMs: runOpts.timeoutMs ?? DEFAULT_TIMEOUT_MS,
          sendBy:
            runOpts.sendWithinMs === undefined
              ? Number.POSITIVE_INFINITY
              : performance.now() + runOpts.sendWithinMs,
          resolve,
        })
        next()
      })
    },
    start() {
      if (!child) child = startProcess()
    },
    close() {
      // End of input: `ip` finishes what it was given and exits.
      child?.stdin?.end()
      child = undefined
    },
  }
}
