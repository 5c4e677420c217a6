/**
 * The typed errors ipfo's libraries throw. Only the CLI maps them to exit codes and friendly text.
 * Each carries a hint: what a sysadmin should do about it.
 */
export class IpfoError extends Error {
  readonly hint: string | undefined
  constructor(message: string, opts: { hint?: string; cause?: unknown } = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause })
    this.name = new.target.name
    this.hint = opts.hint
  }
}

/** A config or key file is wrong. `file` and `path` (the field path, e.g. `peers[0].addresses[1]`) say where. */
export class ConfigError extends IpfoError {
  readonly file: string | undefined
  readonly path: string | undefined
  constructor(message: string, opts: { file?: string; path?: string; hint?: string; cause?: unknown } = {}) {
    super(message, opts)
    this.file = opts.file
    this.path = opts.path
  }
}

/** An address command (`ip`, `ifconfig`, `arping`) failed. */
export class AddressError extends IpfoError {
  readonly command: readonly string[]
  readonly exitCode: number | null
  readonly stderr: string
  constructor(
    message: string,
    opts: { command: readonly string[]; exitCode: number | null; stderr: string; hint?: string },
  ) {
    super(message, opts)
    this.command = opts.command
    this.exitCode = opts.exitCode
    this.stderr = opts.stderr
  }
}

/**
 * A hook's argv or environment does not follow the hook contract (model/hook-contract.ts).
 * `variable` names what is missing or malformed: `IPFO_PHASE`, or `$1` for the first argument.
 */
export class HookContractError extends IpfoError {
  readonly variable: string
  constructor(message: string, opts: { variable: string; hint?: string }) {
    super(message, opts)
    this.variable = opts.variable
  }
}

/** The agent's control socket could not be reached or refused a request. */
export class ControlError extends IpfoError {}

/**
 * A tool an optional step needs (arping, na6) is known to be missing: the agent warned once at
 * start (`tools-missing`), so the step is skipped without a report of its own.
 */
export class ToolMissingError extends IpfoError {
  readonly tool: string
  constructor(tool: string, message: string) {
    super(message)
    this.tool = tool
  }
}

/**
 * The coordination store (etcd) refused or did not answer. `endpoint` names the member it concerns
 * when there is one; the message says what failed at each endpoint tried, the hint what to fix.
 */
export class CoordinationError extends IpfoError {
  readonly endpoint: string | undefined
  constructor(message: string, opts: { endpoint?: string; hint?: string; cause?: unknown } = {}) {
    super(message, opts)
    this.endpoint = opts.endpoint
  }
}
