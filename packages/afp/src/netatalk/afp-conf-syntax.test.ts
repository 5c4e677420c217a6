import { describe, expect, it } from 'vitest'
import { logicalLines, nameKey, paramParts, renderParam, writeValue } from './afp-conf-syntax.js'

describe('logicalLines', () => {
  it('joins a line ending in a backslash with the next, as afpd does', () => {
    const lines = logicalLines('a = one \\\r\n  two\nb = three')
    expect(lines).toEqual([
      { line: 1, raw: 'a = one \\\r\n  two', eol: '\n', content: 'a = one   two' },
      { line: 3, raw: 'b = three', eol: '', content: 'b = three' },
    ])
  })

  it('keeps a backslash on the last line as text', () => {
    expect(logicalLines('a = b \\')).toEqual([{ line: 1, raw: 'a = b \\', eol: '', content: 'a = b \\' }])
  })
})

describe('paramParts', () => {
  it('keeps everything around the value', () => {
    expect(paramParts('\tvol dbpath  =\t/srv/cnid   ; shared')).toEqual({
      indent: '\t',
      name: 'vol dbpath',
      beforeEquals: '  ',
      afterEquals: '\t',
      valueText: '/srv/cnid',
      value: '/srv/cnid',
      trailing: '   ; shared',
    })
  })

  it('reads quoted, empty and unclosed values like afpd', () => {
    expect(paramParts('login message = "Hello; world" # greeting')).toMatchObject({
      valueText: '"Hello; world"',
      value: 'Hello; world',
      trailing: ' # greeting',
    })
    expect(paramParts("path = '/srv/a b'")?.value).toBe('/srv/a b')
    expect(paramParts('signature = ""')?.value).toBe('')
    expect(paramParts('signature =')?.value).toBe('')
    expect(paramParts('signature = ; none')).toMatchObject({ value: '', trailing: '; none' })
    expect(paramParts('login message = "unclosed  ')?.value).toBe('unclosed')
    expect(paramParts('a = b = c')).toMatchObject({ name: 'a', value: 'b = c' })
  })

  it('refuses lines without a name before the equals sign', () => {
    expect(paramParts('no equals sign')).toBeUndefined()
    expect(paramParts('   = value')).toBeUndefined()
  })
})

describe('writeValue', () => {
  it('writes plain values plainly', () => {
    expect(writeValue('/srv/afp/.cnid/$v')).toBe('/srv/afp/.cnid/$v')
  })

  it('quotes what afpd would otherwise cut or trim', () => {
    expect(writeValue('a;b')).toBe('"a;b"')
    expect(writeValue('#1')).toBe('"#1"')
    expect(writeValue(' padded')).toBe('" padded"')
    expect(writeValue('say "hi" #1')).toBe(`'say "hi" #1'`)
    expect(writeValue('C:\\')).toBe('"C:\\"')
    expect(writeValue(`both " and ' ;`)).toBeUndefined()
  })

  it('keeps the quote style already on the line', () => {
    expect(writeValue('new', "'old'")).toBe("'new'")
    expect(writeValue("it's", "'old'")).toBe('"it\'s"')
  })
})

describe('renderParam', () => {
  it('puts a space after an equals sign that had no value', () => {
    const parts = paramParts('signature =;set me')!
    expect(renderParam(parts, 'abc')).toBe('signature = abc ;set me')
  })
})

describe('nameKey', () => {
  it('ignores case and runs of whitespace', () => {
    expect(nameKey('  Vol   DBPath ')).toBe('vol dbpath')
  })
})
