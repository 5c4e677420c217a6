/**
 * A command's result, in the shape of @ipfo/core's CommandResult. Written out rather than imported:
 * core's own tests use this package, so it cannot depend on core. The tests that hand a
 * RecordingRunner to code wanting core's CommandRunner check at compile time that the shapes agree.
 */
export interface CommandResult {
  readonly exitCode: number | null
  readonly signal: string | null
  readonly stdout: string
  readonly stderr: string
}

export interface RecordedCall {
  readonly command: string
  readonly args: readonly string[]
}

/**
 * Which calls a reply is for: a string matches the command line (`command` and `args` joined by spaces)
 * exactly or as a whole-word prefix (`'ifconfig en0'` matches `ifconfig en0 alias ...`); a RegExp is
 * tested on that line; a function decides itself.
 */
export type CallMatcher = string | RegExp | ((call: RecordedCall) => boolean)

type Reply = Partial<CommandResult> | ((call: RecordedCall) => Partial<CommandResult>)

interface Rule {
  readonly matcher: CallMatcher
  readonly reply: Reply
  remaining: number
}

/**
 * A CommandRunner for tests: records every call and answers from canned replies. The first rule that
 * matches (in the order given) answers; a rule with `times` answers that many calls, then steps aside,
 * so `respond(m, first, { times: 1 }); respond(m, later)` scripts a sequence. Unmatched calls succeed
 * with empty output.
 */
export class RecordingRunner {
  readonly calls: RecordedCall[] = []
  private readonly rules: Rule[] = []

  respond(matcher: CallMatcher, reply: Reply, opts: { times?: number } = {}): this {
    this.rules.push({ matcher, reply, remaining: opts.times ?? Number.POSITIVE_INFINITY })
    return this
  }

  /** Each call as one line, `command arg arg`, for compact assertions. */
  lines(): string[] {
    return this.calls.map(commandLine)
  }

  async run(command: string, args: readonly string[]): Promise<CommandResult> {
    const call: RecordedCall = { command, args: [...args] }
    this.calls.push(call)
    const rule = this.rules.find((r) => r.remaining > 0 && matches(r.matcher, call))
    if (rule === undefined) return { exitCode: 0, signal: null, stdout: '', stderr: '' }
    rule.remaining -= 1
    const reply = typeof rule.reply === 'function' ? rule.reply(call) : rule.reply
    return { exitCode: 0, signal: null, stdout: '', stderr: '', ...reply }
  }
}

function commandLine(call: RecordedCall): string {
  return [call.command, ...call.args].join(' ')
}

function matches(matcher: CallMatcher, call: RecordedCall): boolean {
  if (typeof matcher === 'function') return matcher(call)
  const line = commandLine(call)
  if (matcher instanceof RegExp) return matcher.test(line)
  return line === matcher || line.startsWith(`${matcher} `)
}
