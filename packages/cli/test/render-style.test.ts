import { describe, expect, it } from 'vitest'
import { colorEnabled, createStyle, liveOutput, PLAIN, styleFor, visibleText } from '../src/render/style.js'
import { renderTable } from '../src/render/table.js'

const tty = { isTTY: true }
const pipe = { isTTY: false }

describe('colour', () => {
  it('is on for a terminal only, unless NO_COLOR, FORCE_COLOR or TERM=dumb say otherwise', () => {
    expect(colorEnabled(tty, {})).toBe(true)
    expect(colorEnabled(pipe, {})).toBe(false)
    expect(colorEnabled({}, {})).toBe(false)
    expect(colorEnabled(tty, { NO_COLOR: '1' })).toBe(false)
    expect(colorEnabled(tty, { NO_COLOR: '' })).toBe(true)
    expect(colorEnabled(pipe, { FORCE_COLOR: '1' })).toBe(true)
    expect(colorEnabled(tty, { FORCE_COLOR: '0' })).toBe(false)
    expect(colorEnabled(pipe, { FORCE_COLOR: '1', NO_COLOR: '1' })).toBe(false)
    expect(colorEnabled(tty, { TERM: 'dumb' })).toBe(false)
  })

  it('styles with SGR codes that close themselves, and not at all when off', () => {
    const on = createStyle(true)
    expect(on.red('x')).toBe('\x1b[31mx\x1b[39m')
    expect(on.bold(on.red('x'))).toBe('\x1b[1m\x1b[31mx\x1b[39m\x1b[22m')
    expect(visibleText(on.bold(on.red('x')))).toBe('x')
    for (const paint of [
      PLAIN.bold,
      PLAIN.dim,
      PLAIN.red,
      PLAIN.green,
      PLAIN.yellow,
      PLAIN.cyan,
      PLAIN.inverse,
    ])
      expect(paint('x')).toBe('x')
    expect(styleFor(pipe, {}).color).toBe(false)
    expect(styleFor(tty, {}).color).toBe(true)
  })
})

describe('progress display', () => {
  it('only when stdout and stderr are terminals, outside CI, on a capable terminal', () => {
    expect(liveOutput(tty, tty, {})).toBe(true)
    expect(liveOutput(pipe, tty, {})).toBe(false)
    expect(liveOutput(tty, pipe, {})).toBe(false)
    expect(liveOutput(tty, tty, { CI: 'true' })).toBe(false)
    expect(liveOutput(tty, tty, { CI: 'false' })).toBe(true)
    expect(liveOutput(tty, tty, { TERM: 'dumb' })).toBe(false)
    // NO_COLOR asks for no colour; the spinner is then drawn without any.
    expect(liveOutput(tty, tty, { NO_COLOR: '1' })).toBe(true)
  })
})

describe('renderTable', () => {
  it('aligns columns, pads all but the last, and leaves no trailing spaces', () => {
    expect(renderTable([['a', 'private', 'up'], ['bb', 'public', ''], ['c']])).toEqual([
      'a   private  up',
      'bb  public',
      'c',
    ])
  })

  it('measures styled cells by what shows, so colour does not break alignment', () => {
    const on = createStyle(true)
    const lines = renderTable(
      [
        [on.red('DOWN'), 'private'],
        [on.green('up'), 'public'],
      ],
      { indent: '  ', gap: 1 },
    )
    expect(lines.map(visibleText)).toEqual(['  DOWN private', '  up   public'])
    expect(lines[1]).toBe('  \x1b[32mup\x1b[39m   public')
  })
})
