import { createRequire } from 'node:module'
import { describe, expect, it } from 'vitest'
import {
  fixtureMeter,
  ipfoLines,
  metricsConfig,
  metricsStatus,
  sample,
} from '../../../test/fakes/metrics-fixture.js'
import type { EventOf, IpfoEvent } from '../../model/events.js'
import { METRICS } from './catalogue.js'

const at = { time: 1_796_000_000_000 }
const { version } = createRequire(import.meta.url)('../../../package.json') as { version: string }

describe('the meter', () => {
  it('reads heartbeats, peers, addresses, resources, checks, carriers and quorum from one status', async () => {
    const text = await fixtureMeter().render()
    const expected: Record<string, number> = {
      [`ipfo_info{node="a",version="${version}"}`]: 1,
      'ipfo_agent_state{state="healthy"}': 1,
      'ipfo_agent_state{state="maintenance"}': 0,
      ipfo_heartbeat_interval_seconds: 0.1,
      ipfo_detection_seconds: 0.3,
      'ipfo_heartbeats_sent_total{link="private"}': 600,
      'ipfo_heartbeats_received_total{link="private",peer="b"}': 590,
      'ipfo_heartbeats_received_total{link="public",peer="b"}': 0,
      'ipfo_heartbeats_dropped_total{link="private",reason="bad-mac"}': 3,
      // 5 bad MACs in all, 3 of them on a link: 2 said no configured link.
      'ipfo_heartbeats_dropped_total{link="unknown",reason="bad-mac"}': 2,
      'ipfo_heartbeats_dropped_total{link="unknown",reason="malformed"}': 2,
      'ipfo_heartbeats_dropped_total{link="public",reason="replay"}': 0,
      ipfo_loop_stalls_total: 1,
      'ipfo_peer_up{peer="b"}': 1,
      'ipfo_peer_link_up{peer="b",link="private"}': 1,
      'ipfo_peer_link_up{peer="b",link="public"}': 0,
      'ipfo_peer_last_heard_seconds{peer="b",link="private"}': 0.04,
      'ipfo_peer_link_anomaly{peer="b"}': 1,
      'ipfo_peer_indirect{peer="b"}': 0,
      'ipfo_peer_clock_offset_seconds{peer="b"}': -0.025,
      'ipfo_address_held{owner="a",address="192.168.1.100",interface="eth0"}': 1,
      'ipfo_address_held{owner="b",address="192.168.1.101",interface="eth0"}': 0,
      'ipfo_address_held{owner="b",address="fd00::101",interface="eth1"}': 0,
      'ipfo_resource_status{owner="a",status="held"}': 1,
      'ipfo_resource_status{owner="b",status="idle"}': 1,
      'ipfo_resource_status{owner="b",status="held"}': 0,
      'ipfo_resource_fit_here{owner="a"}': 1,
      'ipfo_resource_blocked{owner="a"}': 0,
      'ipfo_check_passing{check="web",kind="tcp"}': 1,
      'ipfo_check_runs_total{check="web"}': 30,
      'ipfo_check_failures_total{check="web"}': 2,
      'ipfo_check_last_run_age_seconds{check="web"}': 0.5,
      'ipfo_interface_carrier{interface="eth0"}': 1,
      'ipfo_interface_carrier{interface="eth1"}': 0,
      ipfo_quorum_lease_valid: 1,
      ipfo_quorum_lease_valid_for_seconds: 3.5,
      ipfo_quorum_keys_held: 1,
      ipfo_quorum_reachable: 1,
      'ipfo_quorum_last_answered{endpoint="http://10.0.0.22:2379"}': 1,
      'ipfo_quorum_last_answered{endpoint="http://10.0.0.21:2379"}': 0,
    }
    for (const [series, value] of Object.entries(expected))
      expect([series, sample(text, series)]).toEqual([series, value])
    // Never heard on public: no age rather than a made-up one. No guard runs: no guard series.
    expect(sample(text, 'ipfo_peer_last_heard_seconds{peer="b",link="public"}')).toBeUndefined()
    expect(text).not.toMatch(/^ipfo_guard_up/m)
    expect(sample(text, 'ipfo_heartbeat_timer_lag_seconds_bucket{le="0"}')).toBe(0)
  })

  it('has every counter of the catalogue at 0 before anything happened', async () => {
    const text = await fixtureMeter().render()
    expect(sample(text, 'ipfo_acquires_total{owner="b",cause="peer-lost"}')).toBe(0)
    expect(sample(text, 'ipfo_releases_total{owner="a",cause="quorum-lost"}')).toBe(0)
    expect(sample(text, 'ipfo_checklists_total{action="acquire",outcome="done"}')).toBe(0)
    expect(sample(text, 'ipfo_hook_runs_total{phase="PostAcq",result="timeout"}')).toBe(0)
    expect(sample(text, 'ipfo_events_total{kind="peer-lost"}')).toBe(0)
    expect(sample(text, 'ipfo_takeover_step_seconds_count{step="add"}')).toBe(0)
    for (const m of METRICS) expect(text).toContain(`# TYPE ${m.name} ${m.type}`)
  })

  it('counts events by their bounded fields, and a takeover step by step', async () => {
    const meter = fixtureMeter()
    const events: IpfoEvent[] = [
      { ...at, kind: 'peer-lost', peer: 'b', silentForMs: 320, links: ['private', 'public'] },
      {
        ...at,
        kind: 'acquiring',
        owner: 'b',
        addresses: ['192.168.1.101/24'],
        reason: 'b lost',
        cause: 'peer-lost',
      },
      {
        ...at,
        kind: 'checklist-finished',
        owner: 'b',
        action: 'acquire',
        cause: 'peer-lost',
        outcome: 'done',
        durationMs: 42,
        detectionMs: 320,
        steps: [
          { step: 'gate', ms: 0.4 },
          { step: 'PreAcq', ms: 20 },
          { step: 'add', ms: 1.8 },
          { step: 'announce', ms: 3 },
          { step: 'PostAcq', ms: 15 },
        ],
      },
      {
        ...at,
        kind: 'hook-finished',
        phase: 'PostAcq',
        script: 'PostAcq-10-web',
        exitCode: 0,
        signal: null,
        durationMs: 15,
        timedOut: false,
        stdout: '',
        stderr: '',
      },
      {
        ...at,
        kind: 'hook-finished',
        phase: 'PreAcq',
        script: 'PreAcq-mount',
        exitCode: null,
        signal: 'SIGKILL',
        durationMs: 30_000,
        timedOut: true,
        stdout: '',
        stderr: '',
      },
      { ...at, kind: 'releasing', owner: 'a', addresses: [], reason: 'stopping', cause: 'stopping' },
      { ...at, kind: 'quorum-unreachable', message: 'no majority' },
    ]
    for (const e of events) meter.onEvent(e)
    const text = await meter.render()
    expect(sample(text, 'ipfo_acquires_total{owner="b",cause="peer-lost"}')).toBe(1)
    expect(sample(text, 'ipfo_releases_total{owner="a",cause="stopping"}')).toBe(1)
    expect(sample(text, 'ipfo_checklists_total{action="acquire",outcome="done"}')).toBe(1)
    expect(sample(text, 'ipfo_takeover_step_seconds_bucket{le="0.5",step="decision"}')).toBe(1)
    expect(sample(text, 'ipfo_takeover_step_seconds_bucket{le="0.25",step="decision"}')).toBe(0)
    expect(sample(text, 'ipfo_takeover_step_seconds_bucket{le="0.0025",step="add"}')).toBe(1)
    expect(sample(text, 'ipfo_takeover_step_seconds_bucket{le="0.001",step="add"}')).toBe(0)
    expect(sample(text, 'ipfo_takeover_step_seconds_sum{step="PreAcq"}')).toBe(0.02)
    expect(sample(text, 'ipfo_takeover_step_seconds_sum{step="total"}')).toBe(0.042)
    expect(sample(text, 'ipfo_hook_runs_total{phase="PostAcq",result="ok"}')).toBe(1)
    expect(sample(text, 'ipfo_hook_runs_total{phase="PreAcq",result="timeout"}')).toBe(1)
    expect(sample(text, 'ipfo_hook_duration_seconds_count{phase="PreAcq"}')).toBe(1)
    expect(sample(text, 'ipfo_events_total{kind="acquiring"}')).toBe(1)
    expect(sample(text, 'ipfo_events_total{kind="hook-finished"}')).toBe(2)
    expect(sample(text, 'ipfo_quorum_reachable')).toBe(0)
  })

  it("times takeovers only (peer-lost, peer-unfit), and an abandon's undo apart from add", async () => {
    const meter = fixtureMeter()
    const finished = (
      cause: EventOf<'checklist-finished'>['cause'],
      steps: { step: 'add' | 'undo' | 'gate'; ms: number }[],
      outcome: 'done' | 'failed' = 'done',
    ): IpfoEvent => ({
      ...at,
      kind: 'checklist-finished',
      owner: 'b',
      action: 'acquire',
      cause,
      outcome,
      durationMs: 50,
      detectionMs: cause === 'peer-lost' ? 320 : null,
      steps,
    })
    // At boot, by an operator, after a claim timeout: acquires, not takeovers.
    for (const cause of ['own-free', 'operator', 'claim-timeout'] as const)
      meter.onEvent(finished(cause, [{ step: 'add', ms: 2 }]))
    let text = await meter.render()
    expect(sample(text, 'ipfo_takeover_step_seconds_count{step="add"}')).toBe(0)
    expect(sample(text, 'ipfo_takeover_step_seconds_count{step="total"}')).toBe(0)
    expect(sample(text, 'ipfo_checklists_total{action="acquire",outcome="done"}')).toBe(3)
    // A takeover whose add failed: the add is timed, the undo of PreAcq is not (nor is it in add).
    meter.onEvent(
      finished(
        'peer-unfit',
        [
          { step: 'add', ms: 2 },
          { step: 'undo', ms: 800 },
        ],
        'failed',
      ),
    )
    text = await meter.render()
    expect(sample(text, 'ipfo_takeover_step_seconds_count{step="add"}')).toBe(1)
    expect(sample(text, 'ipfo_takeover_step_seconds_sum{step="add"}')).toBe(0.002)
    expect(sample(text, 'ipfo_takeover_step_seconds_count{step="total"}')).toBe(0)
    expect(text).not.toContain('step="undo"')
  })

  it("counts a Test hook's non-zero exit as vetoed, not failed", async () => {
    const meter = fixtureMeter()
    const hook = (phase: 'Test' | 'PreAcq', exitCode: number): IpfoEvent => ({
      ...at,
      kind: 'hook-finished',
      phase,
      script: `${phase}-x`,
      exitCode,
      signal: null,
      durationMs: 5,
      timedOut: false,
      stdout: '',
      stderr: '',
    })
    meter.onEvent(hook('Test', 1))
    meter.onEvent(hook('PreAcq', 1))
    const text = await meter.render()
    expect(sample(text, 'ipfo_hook_runs_total{phase="Test",result="vetoed"}')).toBe(1)
    expect(sample(text, 'ipfo_hook_runs_total{phase="Test",result="failed"}')).toBe(0)
    expect(sample(text, 'ipfo_hook_runs_total{phase="PreAcq",result="failed"}')).toBe(1)
    expect(sample(text, 'ipfo_hook_runs_total{phase="PreAcq",result="vetoed"}')).toBeUndefined()
  })

  it('says an address is held only while its status is held, not while acquiring or releasing', async () => {
    const status = metricsStatus()
    const text = await fixtureMeter({
      status: () => ({
        ...status,
        // Advertised (held lists them), but not held yet.
        held: ['192.168.1.100/24', '192.168.1.101/24'],
        resources: status.resources.map((r) =>
          r.owner === 'a' ? { ...r, status: 'releasing' } : { ...r, status: 'acquiring' },
        ),
      }),
    }).render()
    expect(sample(text, 'ipfo_address_held{owner="a",address="192.168.1.100",interface="eth0"}')).toBe(0)
    expect(sample(text, 'ipfo_address_held{owner="b",address="192.168.1.101",interface="eth0"}')).toBe(0)
  })

  it('turns the engine beat-lag buckets into a cumulative Prometheus histogram', async () => {
    const status = metricsStatus()
    const beatLag = { boundsMs: [1, 2, 5, 10], counts: [900, 80, 15, 4, 1], sumMs: 1234 }
    const meter = fixtureMeter({ status: () => ({ ...status, counters: { ...status.counters, beatLag } }) })
    const text = await meter.render()
    expect(sample(text, 'ipfo_heartbeat_timer_lag_seconds_bucket{le="0.001"}')).toBe(900)
    expect(sample(text, 'ipfo_heartbeat_timer_lag_seconds_bucket{le="0.005"}')).toBe(995)
    expect(sample(text, 'ipfo_heartbeat_timer_lag_seconds_bucket{le="0.01"}')).toBe(999)
    expect(sample(text, 'ipfo_heartbeat_timer_lag_seconds_bucket{le="+Inf"}')).toBe(1000)
    expect(sample(text, 'ipfo_heartbeat_timer_lag_seconds_count')).toBe(1000)
    expect(sample(text, 'ipfo_heartbeat_timer_lag_seconds_sum')).toBe(1.234)
  })

  it('reads the status once per render, and shows the guard when one runs', async () => {
    let reads = 0
    const meter = fixtureMeter({
      status: () => {
        reads++
        return metricsStatus({
          guard: { pid: null, restarts: 2, handOver: [], keep: [], lastWordLinks: [] },
        })
      },
    })
    const text = await meter.render()
    expect(reads).toBe(1)
    expect(sample(text, 'ipfo_guard_up')).toBe(0)
    expect(sample(text, 'ipfo_guard_restarts_total')).toBe(2)
    expect(sample(await meter.render(), 'ipfo_metrics_render_seconds')).toBeGreaterThan(0)
  })

  it('serves no quorum series without coordination', async () => {
    const config = metricsConfig(
      'node: a\nkey: k\nlinks: [{ name: private, targets: [10.0.0.2] }]\npeers: [{ id: b }]\n',
    )
    const text = await fixtureMeter({ config, status: () => metricsStatus({ quorum: undefined }) }).render()
    expect(ipfoLines(text).filter((l) => l.startsWith('ipfo_quorum'))).toEqual([])
  })
})
