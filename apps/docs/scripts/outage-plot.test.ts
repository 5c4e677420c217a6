import { describe, expect, it } from 'vitest'
import { outagePlot } from './outage-plot.js'

describe('outagePlot', () => {
  it('draws a dot per run and a median bar per row, on a log axis spanning the data', () => {
    const svg = outagePlot(
      [
        { label: '10ms / 30ms', outagesMs: [31, 32, 42] },
        { label: '1s / 3s', outagesMs: [2457, 2488, 2532] },
      ],
      'engine failover',
    )
    expect(svg.match(/<circle /g)).toHaveLength(6)
    expect(svg).toContain('<title>median 32 ms</title>')
    expect(svg).toContain('<title>median 2488 ms</title>')
    expect(svg).toContain('>10 ms<')
    expect(svg).toContain('>5 s<')
    expect(svg.startsWith('<svg ')).toBe(true)
  })
})
