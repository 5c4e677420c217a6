import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { fixtureMeter, ipfoLines, metricsConfig, metricsStatus } from '../../../test/fakes/metrics-fixture.js'
import { type AgentStatus, BEAT_LAG_BOUNDS_MS } from '../../engine/status.js'
import { EVENT_KINDS, type IpfoEvent } from '../../model/events.js'
import { seriesBound } from './catalogue.js'
import { DROP_REASONS } from './label-values.js'

const BEAT_LAG_BOUNDS = [...BEAT_LAG_BOUNDS_MS]

/** Names a packet or a broken config could carry: unknown ids, label syntax, newlines, long text. */
const hostile = fc.oneof(
  fc.constantFrom('a', 'b', 'c', 'private', 'unknown', '', 'b"} 1\nipfo_x{', 'x'.repeat(300)),
  fc.string({ maxLength: 40 }),
)
const anyKind = fc.oneof(fc.constantFrom(...EVENT_KINDS), fc.string())
const ms = fc.oneof(fc.double({ noNaN: false }), fc.integer({ min: 0, max: 120_000 }))

/** Events of any kind with fields that are wrong in every way a bug or an attacker could make them. */
const event: fc.Arbitrary<IpfoEvent> = fc
  .record({
    kind: anyKind,
    owner: hostile,
    peer: hostile,
    from: hostile,
    cause: hostile,
    reason: hostile,
    detail: hostile,
    phase: hostile,
    script: hostile,
    action: fc.oneof(fc.constantFrom('acquire', 'release'), hostile),
    outcome: hostile,
    exitCode: fc.option(fc.integer({ min: -1, max: 255 })),
    signal: fc.option(hostile),
    timedOut: fc.boolean(),
    durationMs: ms,
    silentForMs: ms,
    detectionMs: fc.option(ms),
    steps: fc.array(fc.record({ step: hostile, ms }), { maxLength: 12 }),
    check: hostile,
    endpoint: hostile,
  })
  .map((e) => ({ ...e, time: 0 }) as unknown as IpfoEvent)

/** A status whose peers, links, checks and counters name things the config never did. */
const status: fc.Arbitrary<AgentStatus> = fc
  .record({
    peerIds: fc.array(hostile, { maxLength: 5 }),
    links: fc.array(hostile, { maxLength: 4 }),
    held: fc.array(hostile, { maxLength: 4 }),
    checks: fc.array(hostile, { maxLength: 3 }),
    reasons: fc.array(fc.oneof(fc.constantFrom(...DROP_REASONS), hostile), { maxLength: 4 }),
  })
  .map(({ peerIds, links, held, checks, reasons }) => {
    const base = metricsStatus()
    const counts = Object.fromEntries(reasons.map((r) => [r, 7]))
    return {
      ...base,
      held: [...base.held, ...held],
      peers: [
        ...base.peers,
        ...peerIds.map((id) => ({
          ...base.peers[0]!,
          id,
          links: links.map((name) => ({ name, up: true, lastSeenMsAgo: 1 })),
        })),
      ],
      checks: [...base.checks, ...checks.map((name) => ({ ...base.checks[0]!, name }))],
      resources: [...base.resources, ...peerIds.map((owner) => ({ ...base.resources[0]!, owner }))],
      counters: {
        ...base.counters,
        dropped: counts,
        beatLag: { boundsMs: BEAT_LAG_BOUNDS, counts: [...BEAT_LAG_BOUNDS, 0].map(() => 1), sumMs: 3 },
        links: Object.fromEntries(
          [...links, 'private'].map((l) => [
            l,
            { sent: 1, received: Object.fromEntries(peerIds.map((p) => [p, 1])), dropped: counts },
          ]),
        ),
      },
    } as AgentStatus
  })

describe('metric labels', () => {
  it('stay within the bound the config sets, whatever the events and the status say', async () => {
    const config = metricsConfig()
    const bound = seriesBound(config, BEAT_LAG_BOUNDS.length)
    await fc.assert(
      fc.asyncProperty(fc.array(event, { maxLength: 60 }), status, async (events, snapshot) => {
        const meter = fixtureMeter({ config, status: () => snapshot })
        for (const e of events) meter.onEvent(e)
        const lines = ipfoLines(await meter.render())
        expect(lines.length).toBeLessThanOrEqual(bound)
        // No label value outside what the config and the closed lists name.
        for (const line of lines) expect(line).not.toMatch(/ipfo_x|x{300}/)
        expect(new Set(lines.map((l) => l.slice(0, l.lastIndexOf(' ')))).size).toBe(lines.length)
      }),
      { numRuns: 150 },
    )
  })

  it('come to a few hundred lines for a pair with two links and four addresses', () => {
    const bound = seriesBound(metricsConfig(), BEAT_LAG_BOUNDS.length)
    expect(bound).toBeGreaterThan(200)
    expect(bound).toBeLessThan(700)
  })
})
