import { describe, expect, it } from 'vitest'
import { createStyle, PLAIN, visibleText } from '../src/render/style.js'
import { renderVerdicts, summarizeVerdicts, type Verdict } from '../src/render/verdicts.js'

const results: Verdict[] = [
  { check: 'config and key', verdict: 'pass', detail: '/etc/ipfo/ipfo.yaml is valid' },
  {
    check: 'firewall on private',
    verdict: 'fail',
    detail: 'UDP 1694 from 10.0.0.2 on eth1 is dropped',
    hint: 'nft insert rule inet filter input udp dport 1694 accept',
  },
  { check: 'a clock', verdict: 'warn', detail: '1500ms apart', hint: 'run NTP' },
]

describe('renderVerdicts', () => {
  it('without colour: aligned columns, the hint under anything not passing', () => {
    expect(renderVerdicts(results, PLAIN)).toBe(
      [
        'ok    config and key       /etc/ipfo/ipfo.yaml is valid',
        'FAIL  firewall on private  UDP 1694 from 10.0.0.2 on eth1 is dropped',
        '                           -> nft insert rule inet filter input udp dport 1694 accept',
        'WARN  a clock              1500ms apart',
        '                           -> run NTP',
      ].join('\n'),
    )
    expect(summarizeVerdicts(results, PLAIN)).toBe('1 passed, 1 warning, 1 failed')
    expect(summarizeVerdicts(results.slice(0, 1), PLAIN)).toBe('1 passed')
    expect(renderVerdicts([], PLAIN)).toBe('')
  })

  it('with colour: green ok, yellow WARN, bold red FAIL, cyan hints; the same text underneath', () => {
    const colored = renderVerdicts(results, createStyle(true))
    expect(colored).toContain('\x1b[32mok\x1b[39m')
    expect(colored).toContain('\x1b[1m\x1b[31mFAIL\x1b[39m\x1b[22m')
    expect(colored).toContain('\x1b[33mWARN\x1b[39m')
    expect(colored).toContain('\x1b[36m-> run NTP\x1b[39m')
    expect(visibleText(colored)).toBe(renderVerdicts(results, PLAIN))
    expect(visibleText(summarizeVerdicts(results, createStyle(true)))).toBe('1 passed, 1 warning, 1 failed')
  })
})
