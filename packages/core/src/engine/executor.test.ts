import { describe, expect, it } from 'vitest'
import { RecordingHooks } from '../../test/fakes/recording-hooks.js'
import { AddressError, ToolMissingError } from '../model/errors.js'
import type { AddressControl, Journal, JournalEntry } from '../model/ports.js'
import type { Checklist, EventBody } from '../state-machine/effects.js'
import { runChecklist } from './executor.js'

const VIP = { interface: 'eth0', ip: '10.0.0.100', prefix: 24, family: 4 as const }

/**
 * A journal whose writes finish only when the test says so (an fsync on a slow disk), and a world
 * that writes down, in one list, when each thing happened relative to the writes.
 */
function world() {
  const order: string[] = []
  const pending: (() => void)[] = []
  const journal: Journal = {
    write: (entry: JournalEntry) =>
      new Promise<void>((resolve) => {
        order.push(`journal ${entry.reached} begins`)
        pending.push(() => {
          order.push(`journal ${entry.reached} on disk`)
          resolve()
        })
      }),
    remove: async () => {
      order.push('journal removed')
    },
    leftovers: async () => [],
  }
  const address: AddressControl = {
    present: async () => [],
    add: async () => {
      order.push('add')
    },
    remove: async () => {
      order.push('remove')
    },
    announce: async () => {
      order.push('announce')
    },
  }
  const hooks = new RecordingHooks((what) => order.push(what))
  const events: EventBody[] = []
  const deps = {
    self: 'b',
    address,
    hooks,
    journal,
    emit: (e: EventBody) => events.push(e),
    now: () => 0,
    wallNow: () => 0,
    delay: async () => undefined,
  }
  /** Lets everything that can run without a journal write finishing run. */
  const settle = async () => {
    for (let i = 0; i < 50; i++) await Promise.resolve()
  }
  /** Finishes the oldest pending journal write, then settles. */
  const finishWrite = async () => {
    await settle()
    pending.shift()?.()
    await settle()
  }
  return { order, deps, settle, finishWrite, events }
}

const acquire: Checklist = {
  id: 1,
  action: 'acquire',
  owner: 'a',
  cause: 'peer-lost',
  peer: 'a',
  addresses: [VIP],
  reason: 'peer a lost',
  detectionMs: 30,
  steps: [
    { step: 'gate' },
    { step: 'phase', phase: 'PreAcq' },
    { step: 'add' },
    { step: 'announce', count: 1, intervalMs: 0 },
    { step: 'phase', phase: 'PostAcq' },
    { step: 'notify' },
  ],
}

describe('runChecklist and its journal', () => {
  it('with no PreAcq script: writes "started" while Test and PreAcq run, and adds only once it is on disk', async () => {
    const w = world()
    w.deps.hooks.withoutScripts.add('PreAcq')
    const done = runChecklist(acquire, w.deps)
    await w.settle()
    // The write began before PreAcq, and is still not on disk.
    expect(w.order).toEqual(['Test', 'journal started begins', 'PreAcq'])
    await w.finishWrite()
    expect(w.order.slice(3, 5)).toEqual(['journal started on disk', 'add'])
    await w.finishWrite()
    expect(await done).toBe('done')
  })

  it('PreAcq\'s first script starts only once "prepared" is on disk (a crash after it is undone at restart)', async () => {
    const w = world()
    const done = runChecklist(acquire, w.deps)
    await w.settle()
    expect(w.order).toEqual(['Test', 'journal started begins'])
    await w.finishWrite()
    expect(w.order.slice(2)).toEqual(['journal started on disk', 'journal prepared begins'])
    await w.finishWrite()
    // The add needs nothing more from the disk.
    expect(w.order.slice(4, 8)).toEqual(['journal prepared on disk', 'PreAcq', 'add', 'announce'])
    await w.finishWrite()
    expect(await done).toBe('done')
  })

  it('sends the first announcement without waiting for "changed"; PostAcq waits for it', async () => {
    const w = world()
    const done = runChecklist(acquire, w.deps)
    await w.finishWrite()
    await w.finishWrite()
    // "changed" is being written and not on disk yet: the announcement is out, PostAcq has not run.
    expect(w.order.slice(6)).toEqual(['add', 'announce', 'journal changed begins'])
    await w.finishWrite()
    await done
    expect(w.order.slice(9)).toEqual(['journal changed on disk', 'PostAcq', 'journal removed'])
  })

  it('an add that fails: what was added is removed, PreRel and PostRel undo PreAcq, and it says so', async () => {
    const w = world()
    w.deps.hooks.withoutScripts.add('PreAcq')
    const second = { ...VIP, ip: '10.0.0.101' }
    let adds = 0
    const deps = {
      ...w.deps,
      address: {
        ...w.deps.address,
        add: async () => {
          if (++adds === 2)
            throw new AddressError('adding 10.0.0.101', { command: ['ip'], exitCode: 2, stderr: 'no' })
          w.order.push('add')
        },
      },
    }
    const done = runChecklist({ ...acquire, addresses: [VIP, second] }, deps)
    await w.finishWrite()
    expect(await done).toBe('failed')
    expect(w.order.slice(4)).toEqual(['add', 'remove', 'PreRel', 'PostRel', 'journal removed'])
    expect(w.deps.hooks.calls.map((c) => `${c.what}:${c.action}`)).toEqual([
      'Test:acquire',
      'PreAcq:acquire',
      'PreRel:release',
      'PostRel:release',
    ])
    expect(w.events.map((e) => e.kind)).toEqual([
      'error',
      'acquire-abandoned',
      'notify',
      'checklist-finished',
    ])
    expect(w.events[1]).toMatchObject({ reason: 'adding them failed', hooksUndone: true })
  })

  it('a refused takeover leaves no journal entry behind', async () => {
    const w = world()
    const done = runChecklist(
      { ...acquire, steps: [{ step: 'arbitrate' }, ...acquire.steps] },
      { ...w.deps, arbiter: { refusal: async () => 'a still answers' } },
    )
    await w.finishWrite()
    expect(await done).toBe('refused')
    expect(w.order).toEqual(['journal started begins', 'journal started on disk', 'journal removed'])
    expect(w.events.map((e) => e.kind)).toEqual(['takeover-refused', 'checklist-finished'])
    expect(w.events[1]).toMatchObject({ outcome: 'refused', steps: [{ step: 'arbitrate' }] })
  })
})

describe('an acquire asked to yield (a live peer holds the addresses)', () => {
  it('before its add: no add and no PostAcq; PreRel and PostRel undo the PreAcq that ran; it still notifies', async () => {
    const w = world()
    const yielded = new AbortController()
    w.deps.hooks.withoutScripts.add('PreAcq')
    const done = runChecklist(acquire, { ...w.deps, yielded: yielded.signal })
    await w.settle()
    // Test and PreAcq have run; the add waits for "started" to be on disk. The peer is heard now.
    expect(w.order).toEqual(['Test', 'journal started begins', 'PreAcq'])
    yielded.abort()
    await w.finishWrite()
    expect(await done).toBe('yielded')
    expect(w.order).toEqual([
      'Test',
      'journal started begins',
      'PreAcq',
      'journal started on disk',
      'PreRel',
      'PostRel',
      'journal removed',
    ])
    expect(w.deps.hooks.calls.slice(2)).toEqual([
      { what: 'PreRel', action: 'release', owner: 'a' },
      { what: 'PostRel', action: 'release', owner: 'a' },
    ])
    expect(w.events.map((e) => e.kind)).toEqual(['acquire-abandoned', 'notify', 'checklist-finished'])
    expect(w.events[0]).toMatchObject({ reason: 'a live peer holds them', hooksUndone: true })
    expect(w.events[1]).toMatchObject({ subject: expect.stringContaining('did not change (yielded)') })
  })

  it('asked before any hook ran: no hook runs at all', async () => {
    const w = world()
    const yielded = new AbortController()
    yielded.abort()
    const done = runChecklist(acquire, { ...w.deps, yielded: yielded.signal })
    await w.finishWrite()
    expect(await done).toBe('yielded')
    expect(w.deps.hooks.calls).toEqual([])
    expect(w.events[0]).toMatchObject({ kind: 'acquire-abandoned', hooksUndone: false })
  })

  it('after its add: it ends without waiting out the announcements', async () => {
    const w = world()
    const yielded = new AbortController()
    let announcementsWaited = false
    const done = runChecklist(
      { ...acquire, steps: acquire.steps.map((s) => (s.step === 'announce' ? { ...s, count: 5 } : s)) },
      {
        ...w.deps,
        yielded: yielded.signal,
        // The repeats' wait never ends on its own: only yielding can end the checklist.
        delay: () =>
          new Promise<void>(() => {
            announcementsWaited = true
          }),
      },
    )
    await w.finishWrite()
    await w.finishWrite()
    await w.finishWrite()
    expect(w.order).toContain('add')
    expect(w.order).toContain('PostAcq')
    expect(announcementsWaited).toBe(true)
    yielded.abort()
    expect(await done).toBe('done')
    expect(w.events.map((e) => e.kind)).toContain('notify')
  })

  it('a release is never cut short', async () => {
    const w = world()
    const yielded = new AbortController()
    yielded.abort()
    const release: Checklist = {
      ...acquire,
      action: 'release',
      steps: [{ step: 'gate' }, { step: 'phase', phase: 'PreRel' }, { step: 'remove' }, { step: 'notify' }],
    }
    const done = runChecklist(release, { ...w.deps, yielded: yielded.signal })
    await w.finishWrite()
    await w.finishWrite()
    expect(await done).toBe('done')
    expect(w.order).toContain('remove')
  })
})

describe('an announcement that fails', () => {
  const failing = (error: Error) => {
    const w = world()
    const deps = { ...w.deps, address: { ...w.deps.address, announce: async () => Promise.reject(error) } }
    return { w, deps }
  }

  it('is an error event when its tool failed, and the takeover still completes', async () => {
    const { w, deps } = failing(
      new AddressError('announcing 10.0.0.100', { command: ['arping'], exitCode: 2, stderr: 'boom' }),
    )
    const done = runChecklist(acquire, deps)
    for (let i = 0; i < 3; i++) await w.finishWrite()
    expect(await done).toBe('done')
    expect(w.events.filter((e) => e.kind === 'error')).toHaveLength(1)
    expect(w.events.map((e) => e.kind)).not.toContain('announced')
  })

  it('says nothing when its tool is known missing (the agent warned at start), and claims no announcement', async () => {
    const { w, deps } = failing(new ToolMissingError('arping', 'arping is not installed'))
    const done = runChecklist(acquire, deps)
    for (let i = 0; i < 3; i++) await w.finishWrite()
    expect(await done).toBe('done')
    expect(w.events.map((e) => e.kind)).not.toContain('error')
    expect(w.events.map((e) => e.kind)).not.toContain('announced')
    expect(w.order).toContain('PostAcq')
  })
})

describe('claims of a quorum store (coordination)', () => {
  /** A store's claims: won with token 7, or lost to `holder`; records what the checklist did. */
  const claims = (opts: { holder?: string; valid?: () => boolean } = {}) => {
    const did: string[] = []
    return {
      did,
      port: {
        claim: async (owner: string) => {
          did.push(`claim ${owner}`)
          return opts.holder
            ? { won: false as const, holder: opts.holder, reason: 'taken' }
            : { won: true as const, token: '7' }
        },
        holds: opts.valid ?? (() => true),
        token: () => '7',
        release: async (owner: string) => {
          did.push(`release ${owner}`)
        },
      },
    }
  }
  const claimed: Checklist = { ...acquire, steps: [{ step: 'claim' }, ...acquire.steps] }

  it('claims first; the hooks get the key revision as fencing token', async () => {
    const w = world()
    w.deps.hooks.withoutScripts.add('PreAcq')
    const seen: (string | undefined)[] = []
    const runPhase = w.deps.hooks.runPhase.bind(w.deps.hooks)
    w.deps.hooks.runPhase = async (phase, ctx, run) => {
      seen.push(ctx.fencingToken)
      return runPhase(phase, ctx, run)
    }
    const c = claims()
    const done = runChecklist(claimed, { ...w.deps, claims: c.port })
    for (let i = 0; i < 3; i++) await w.finishWrite()
    expect(await done).toBe('done')
    expect(c.did).toEqual(['claim a'])
    expect(seen).toEqual(['7', '7'])
  })

  it('lost to another holder: no hook runs, nothing changes, and it says who holds the key', async () => {
    const w = world()
    const c = claims({ holder: 'c' })
    const done = runChecklist(claimed, { ...w.deps, claims: c.port })
    await w.finishWrite()
    expect(await done).toBe('claim-lost')
    expect(w.deps.hooks.calls).toEqual([])
    expect(w.order).not.toContain('add')
    expect(w.events).toEqual([
      expect.objectContaining({ kind: 'claim-lost', owner: 'a', holder: 'c' }),
      expect.objectContaining({
        kind: 'checklist-finished',
        outcome: 'claim-lost',
        steps: [{ step: 'claim', ms: 0 }],
      }),
    ])
  })

  it('the lease no longer valid at the add: no add, PreAcq undone, the key let go', async () => {
    const w = world()
    w.deps.hooks.withoutScripts.add('PreAcq')
    const c = claims({ valid: () => false })
    const done = runChecklist(claimed, { ...w.deps, claims: c.port })
    await w.finishWrite()
    expect(await done).toBe('claim-lost')
    expect(w.order).not.toContain('add')
    expect(w.deps.hooks.calls.map((x) => x.what)).toEqual(['Test', 'PreAcq', 'PreRel', 'PostRel'])
    expect(c.did).toEqual(['claim a', 'release a'])
  })

  it('an acquire won but ended without its addresses (Test said no) lets the key go', async () => {
    const w = world()
    w.deps.hooks.verdict = 'notify-only'
    const c = claims()
    const done = runChecklist(claimed, { ...w.deps, claims: c.port })
    await w.finishWrite()
    expect(await done).toBe('notify-only')
    expect(c.did).toEqual(['claim a', 'release a'])
  })

  it('a release deletes the key right after its remove, and its hooks get the token it held', async () => {
    const w = world()
    const c = claims()
    const seen: (string | undefined)[] = []
    const runPhase = w.deps.hooks.runPhase.bind(w.deps.hooks)
    w.deps.hooks.runPhase = async (phase, ctx, run) => {
      seen.push(ctx.fencingToken)
      return runPhase(phase, ctx, run)
    }
    const release: Checklist = {
      ...acquire,
      action: 'release',
      steps: [
        { step: 'phase', phase: 'PreRel' },
        { step: 'remove' },
        { step: 'disclaim' },
        { step: 'phase', phase: 'PostRel' },
      ],
    }
    const address = { ...w.deps.address, remove: async () => void c.did.push('remove') }
    const done = runChecklist(release, { ...w.deps, address, claims: c.port })
    for (let i = 0; i < 3; i++) await w.finishWrite()
    expect(await done).toBe('done')
    expect(c.did).toEqual(['remove', 'release a'])
    expect(seen).toEqual(['7', '7'])
  })
})

describe('checklist-finished: how long each step took', () => {
  it('times each step that ran, in order, the announcements once they were sent, with the outcome', async () => {
    let clock = 0
    const costs: Record<string, number> = { Test: 3, PreAcq: 40, add: 1.5, announce: 12, PostAcq: 250 }
    let sendAnnouncement: () => void = () => undefined
    const hooks = new RecordingHooks((what) => {
      clock += costs[what] ?? 0
    })
    const deps = {
      self: 'b',
      hooks,
      address: {
        present: async () => [],
        add: async () => {
          clock += costs.add!
        },
        remove: async () => undefined,
        announce: () =>
          new Promise<void>((resolve) => {
            sendAnnouncement = () => {
              clock += costs.announce!
              resolve()
            }
          }),
      },
      events: [] as EventBody[],
      emit: (e: EventBody) => deps.events.push(e),
      now: () => Math.round(clock),
      preciseNow: () => clock,
      wallNow: () => 0,
      delay: async () => undefined,
    }
    expect(await runChecklist(acquire, deps)).toBe('done')
    await Promise.resolve()
    // Not before every announcement was sent.
    expect(deps.events.map((e) => e.kind)).not.toContain('checklist-finished')
    sendAnnouncement()
    await new Promise((resolve) => setImmediate(resolve))
    const finished = deps.events.find((e) => e.kind === 'checklist-finished')
    expect(finished).toEqual({
      kind: 'checklist-finished',
      owner: 'a',
      action: 'acquire',
      cause: 'peer-lost',
      outcome: 'done',
      durationMs: 294.5,
      detectionMs: 30,
      steps: [
        { step: 'gate', ms: 3 },
        { step: 'PreAcq', ms: 40 },
        { step: 'add', ms: 1.5 },
        { step: 'PostAcq', ms: 250 },
        { step: 'notify', ms: 0 },
        { step: 'announce', ms: 262 },
      ],
    })
  })

  it("a failed add's undo of PreAcq is its own step, not part of add", async () => {
    let clock = 0
    const costs: Record<string, number> = { Test: 3, PreAcq: 40, PreRel: 100, PostRel: 200 }
    const hooks = new RecordingHooks((what) => {
      clock += costs[what] ?? 0
    })
    const deps = {
      self: 'b',
      hooks,
      address: {
        present: async () => [],
        add: async () => {
          clock += 1.5
          throw new Error('RTNETLINK answers: File exists')
        },
        remove: async () => undefined,
        announce: async () => undefined,
      },
      events: [] as EventBody[],
      emit: (e: EventBody) => deps.events.push(e),
      now: () => Math.round(clock),
      preciseNow: () => clock,
      wallNow: () => 0,
      delay: async () => undefined,
    }
    expect(await runChecklist(acquire, deps)).toBe('failed')
    await new Promise((resolve) => setImmediate(resolve))
    const finished = deps.events.find((e) => e.kind === 'checklist-finished')
    expect(finished).toMatchObject({
      cause: 'peer-lost',
      outcome: 'failed',
      steps: [
        { step: 'gate', ms: 3 },
        { step: 'PreAcq', ms: 40 },
        { step: 'add', ms: 1.5 },
        { step: 'undo', ms: 300 },
        { step: 'notify', ms: 0 },
      ],
    })
  })

  it('a step that ended the checklist early is timed too, and the steps it skipped are not', async () => {
    const w = world()
    w.deps.hooks.verdict = 'notify-only'
    const done = runChecklist(acquire, { ...w.deps, journal: undefined })
    expect(await done).toBe('notify-only')
    await new Promise((resolve) => setImmediate(resolve))
    const finished = w.events.find((e) => e.kind === 'checklist-finished')
    expect(finished).toMatchObject({ outcome: 'notify-only', steps: [{ step: 'gate' }, { step: 'notify' }] })
  })
})
