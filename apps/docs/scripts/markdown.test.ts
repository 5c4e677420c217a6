import { describe, expect, it } from 'vitest'
import { code, fence, page, table, text } from './markdown.js'

describe('text and code', () => {
  it('write HTML and markdown characters as entities, so descriptions render as written', () => {
    expect(text('<dir>/<ip>/ holds PreAcq* | a_b [x]')).toBe(
      '&lt;dir&gt;/&lt;ip&gt;/ holds PreAcq&#42; &#124; a&#95;b &#91;x&#93;',
    )
    expect(code('a|b')).toBe('<code>a&#124;b</code>')
    expect(code('<dir> https://x')).toBe('`<dir> https://x`')
  })

  it('keep one line', () => {
    expect(text('one\n  two')).toBe('one two')
  })
})

describe('fence', () => {
  it('grows past any backticks in its content', () => {
    expect(fence('sh', 'echo ```')).toBe('````sh\necho ```\n````')
  })
})

describe('table', () => {
  it('fills empty cells so the row keeps its columns', () => {
    expect(table(['a', 'b'], [['1', '']])).toBe('| a | b |\n| --- | --- |\n| 1 |   |')
  })
})

describe('page', () => {
  it('puts the body in a v-pre container, so {{ }} in text is never evaluated by Vue', () => {
    const out = page('T', 'a source', ['{{ x }}'])
    expect(out).toMatch(
      /^<!-- Generated from a source .* Do not edit\. -->\n\n# T\n\n::: v-pre\n\n\{\{ x \}\}\n\n:::\n$/,
    )
  })
})
