import { describe, expect, it } from 'vitest'
import type { IdleWindow } from './measure-idle.js'
import { costBetween, type ProcessSample, roleOf } from './process-cost.js'
import { renderIdleMarkdown, summarizeSetting } from './report.js'

describe('idle cost per process', () => {
  it('names each process of a daemon by its command line', () => {
    expect(roleOf(['/usr/bin/node', '--max-semi-space-size=1', '/x/packages/cli/bin/run.js', 'agent'])).toBe(
      'agent',
    )
    expect(roleOf(['ipfo guard'])).toBe('guard')
    expect(roleOf(['ip', '-force', '-batch', '-'])).toBe('ip -batch')
    expect(roleOf(['/usr/sbin/ip', '-o', 'monitor', 'link'])).toBe('ip monitor')
    expect(roleOf(['/usr/sbin/keepalived', '-n'])).toBe('keepalived')
  })

  it('counts CPU over the window (a process started within it from its start), memory at its end', () => {
    const p = (pid: number, ticks: number, rssKb = 10_240, pssKb = 5_120): ProcessSample => ({
      pid,
      role: `p${pid}`,
      ticks,
      rssKb,
      pssKb,
    })
    const costs = costBetween([p(1, 100), p(2, 50)], [p(1, 130), p(3, 10, 2_048, 1_024)], 10)
    expect(costs).toEqual([
      { role: 'p1', cpuPercent: 3, rssMb: 10, pssMb: 5 },
      { role: 'p3', cpuPercent: 1, rssMb: 2, pssMb: 1 },
    ])
  })

  it('takes medians over windows, per node and per role, and says whether the targets are met', () => {
    const window = (agentCpu: number): IdleWindow => ({
      setting: 'ipfo-10ms',
      seconds: 30,
      nodes: {
        a: [
          { role: 'agent', cpuPercent: agentCpu, rssMb: 50, pssMb: 30 },
          { role: 'guard', cpuPercent: 0.1, rssMb: 8, pssMb: 3 },
        ],
        b: [{ role: 'agent', cpuPercent: 1, rssMb: 50, pssMb: 30 }],
      },
      floor: { role: 'node floor', cpuPercent: 0, rssMb: 40, pssMb: 20 },
      heartbeatFloor: { role: 'heartbeat floor', cpuPercent: 4, rssMb: 48, pssMb: 25 },
    })
    const s = summarizeSetting([window(1), window(5), window(2)])
    expect(s.perNode[0]).toMatchObject({ node: 'a', cpuPercent: 2.1, rssMb: 58, processes: 2 })
    expect(s.perNode[0]?.roles.find((r) => r.role === 'agent')?.cpuPercent).toBe(2)
    const text = renderIdleMarkdown({
      date: '2026-12-07T10:00:00Z',
      host: { cores: 2, node: 'v20' },
      seconds: 30,
      windows: [window(1), window(5), window(2)],
    })
    expect(text).toContain('- missed: ipfo-10ms CPU per node at most 1.5 %: 2.1 %')
    expect(text).toContain('- met: ipfo-10ms RSS per node at most 60 MB: 58 MB')
    // Windows from before the floor's interval was recorded: 10 ms.
    expect(text).toContain('| ipfo-10ms | 3 | a | 2.1 | 58 | 33 | 2 | 0 | 40 | 4 | 48 | 10 |')
    const fast = { ...window(9), setting: 'ipfo-5ms-rt', heartbeatFloorMs: 5 }
    expect(
      renderIdleMarkdown({
        date: '2026-12-07T10:00:00Z',
        host: { cores: 2, node: 'v20' },
        seconds: 30,
        windows: [fast],
      }),
    ).toContain('| ipfo-5ms-rt | 1 | a | 9.1 | 58 | 33 | 2 | 0 | 40 | 4 | 48 | 5 |')
  })
})
