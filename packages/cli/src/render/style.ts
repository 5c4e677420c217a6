/** A stream as far as styling cares: is it a terminal? */
export interface StreamLike {
  readonly isTTY?: boolean | undefined
}

export type Env = Readonly<Record<string, string | undefined>>

/** Text decoration for a person at a terminal; with `color` off every function returns its text unchanged. */
export interface Style {
  readonly color: boolean
  bold(text: string): string
  dim(text: string): string
  red(text: string): string
  green(text: string): string
  yellow(text: string): string
  cyan(text: string): string
  /** Swapped foreground and background: for what must not be missed (maintenance mode). */
  inverse(text: string): string
}

// SGR codes with their own resets (22 for bold and dim, 39 for colours), so styles nest.
const sgr = (open: number, close: number) => (text: string) => `\x1b[${open}m${text}\x1b[${close}m`
const plain = (text: string) => text

export function createStyle(color: boolean): Style {
  const pick = (open: number, close: number) => (color ? sgr(open, close) : plain)
  return {
    color,
    bold: pick(1, 22),
    dim: pick(2, 22),
    red: pick(31, 39),
    green: pick(32, 39),
    yellow: pick(33, 39),
    cyan: pick(36, 39),
    inverse: pick(7, 27),
  }
}

/** No colour: for piped output, tests and anything that must stay byte-stable. */
export const PLAIN: Style = createStyle(false)

/**
 * Colour on a terminal only. NO_COLOR (any non-empty value, https://no-color.org) always turns it
 * off, even over FORCE_COLOR: the person who set it asked for none. FORCE_COLOR (other than "0" or
 * "false") turns it on when piped, for CI logs that render ANSI codes. TERM=dumb turns it off.
 */
export function colorEnabled(stream: StreamLike, env: Env): boolean {
  if (env.NO_COLOR) return false
  const force = env.FORCE_COLOR
  if (force !== undefined) return force !== '0' && force !== 'false'
  if (env.TERM === 'dumb') return false
  return stream.isTTY === true
}

export function styleFor(stream: StreamLike, env: Env): Style {
  return createStyle(colorEnabled(stream, env))
}

/**
 * Whether a progress display (a spinner redrawn in place) may be shown: both streams are terminals
 * (the spinner draws on stderr; piping stdout means a script is reading), not a CI log, not a dumb
 * terminal. NO_COLOR does not matter here: the spinner is then drawn without colour.
 */
export function liveOutput(stdout: StreamLike, stderr: StreamLike, env: Env): boolean {
  if (env.TERM === 'dumb' || (env.CI !== undefined && env.CI !== '' && env.CI !== 'false')) return false
  return stdout.isTTY === true && stderr.isTTY === true
}

/** Removes SGR sequences: for measuring what a person sees. */
export function visibleText(text: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: ESC is what is being removed
  return text.replace(/\x1b\[[0-9;]*m/g, '')
}
