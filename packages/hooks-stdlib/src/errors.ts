/**
 * A hook was given something it cannot use: a bad sidecar, an inline secret, a missing variable of the
 * hook contract. The executable prints the message and the hint and exits 2; `ipfo hooks add` turns it
 * into a ConfigError.
 */
export class HookInputError extends Error {
  readonly hint: string | undefined
  constructor(message: string, opts: { hint?: string; cause?: unknown } = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause })
    this.name = 'HookInputError'
    this.hint = opts.hint
  }
}
