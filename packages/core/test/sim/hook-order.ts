import type { IpfoEvent } from '../../src/model/events.js'
import type { HookAction, HookContext } from '../../src/model/hook-contract.js'
import type { HookStage } from './schedule.js'
import type { Violation } from './violation.js'

interface Open {
  readonly action: HookAction
  /** Finishing a checklist an earlier run left (`checklist-recovered`): only its Post phase runs. */
  readonly recovery: boolean
  /**
   * Undoing the PreAcq of an acquire an earlier run left (`checklist-recovered`, `hooksUndone`):
   * PreRel then PostRel, before the restarted agent runs anything else; it has no notify.
   */
  readonly undo?: true
  readonly calls: string[]
  changed: boolean
}

/** The reason of a checklist an earlier run left, as its notify subject ends (engine/checklists.ts). */
const RECOVERED = ': finishing after a restart: '

const FULL: Record<HookAction, string[]> = {
  acquire: ['Test:acquire', 'PreAcq:acquire', 'PostAcq:acquire'],
  release: ['Test:release', 'PreRel:release', 'PostRel:release'],
}
/** An acquire abandoned before its add undoes its PreAcq with the release hooks. */
const ABANDONED = ['Test:acquire', 'PreAcq:acquire', 'PreRel:release', 'PostRel:release']
/** After a restart, the undo of an interrupted acquire's PreAcq. */
const UNDO = ['PreRel:release', 'PostRel:release']

/**
 * `hook-order`: hooks run once per transition, in order. Each checklist (opened by `acquiring`,
 * `releasing` or a finishing `checklist-recovered`, closed by its `notify`) runs Test, Pre, Post at
 * most once each and in that order; one that changed the addresses ran all three; a Post phase
 * runs only after the change; no hook runs outside a checklist; one owner's checklists on one node
 * never overlap.
 */
export class HookOrder {
  private readonly open = new Map<string, Open[]>()
  violation: Violation | undefined

  event(node: string, e: IpfoEvent, now: number): void {
    switch (e.kind) {
      case 'acquiring':
      case 'releasing': {
        const list = this.list(node, e.owner)
        if (list.some((c) => !c.recovery))
          this.fail(now, `${node} started a ${e.kind} checklist for ${e.owner} while another ran`)
        list.push({
          action: e.kind === 'acquiring' ? 'acquire' : 'release',
          recovery: false,
          calls: [],
          changed: false,
        })
        break
      }
      case 'checklist-recovered':
        if (e.decision === 'finished')
          this.list(node, e.owner).push({ action: e.action, recovery: true, calls: [], changed: true })
        else if (e.hooksUndone)
          this.list(node, e.owner).push({
            action: 'release',
            recovery: true,
            undo: true,
            calls: [],
            changed: false,
          })
        break
      case 'acquired':
      case 'released': {
        const action = e.kind === 'acquired' ? 'acquire' : 'release'
        const c = this.list(node, e.owner).find((x) => !x.recovery && x.action === action)
        if (c) c.changed = true
        break
      }
      case 'takeover-refused':
        this.close(node, e.owner, 'acquire', false, now)
        break
      case 'notify':
        // A recovered checklist finishes beside the machine's own (its announcements may still run
        // while the machine releases and acquires again): its notify says so in its subject.
        this.close(node, e.owner, e.action, e.subject.includes(RECOVERED), now)
        break
    }
  }

  hook(node: string, stage: HookStage, ctx: HookContext, now: number): void {
    const call = `${stage}:${ctx.action}`
    const list = this.list(node, ctx.owner)
    const c = list.find((x) => accepts(x, call))
    if (!c) {
      const running = list.map((x) => `${x.action}[${x.calls.join(' ')}]`).join(', ') || 'none'
      this.fail(now, `${node} ran ${call} for ${ctx.owner} out of order (checklists: ${running})`)
      return
    }
    c.calls.push(call)
    if (c.undo && c.calls.length === UNDO.length) list.splice(list.indexOf(c), 1)
  }

  /** The agent is gone (crash, stop): its checklists end without their notify. */
  agentEnded(node: string): void {
    for (const key of [...this.open.keys()]) if (key.startsWith(`${node}/`)) this.open.delete(key)
  }

  private close(node: string, owner: string, action: HookAction, recovery: boolean, now: number): void {
    const list = this.list(node, owner)
    const same = list.findIndex((x) => x.action === action && x.recovery === recovery)
    const i = same !== -1 ? same : list.findIndex((x) => x.action === action)
    if (i === -1) return
    const [c] = list.splice(i, 1)
    if (!c?.changed) return
    const want = c.recovery ? [action === 'acquire' ? 'PostAcq:acquire' : 'PostRel:release'] : FULL[action]
    if (c.calls.join(' ') !== want.join(' '))
      this.fail(
        now,
        `${node}'s ${action} of ${owner}'s addresses changed them with hooks [${c.calls.join(' ')}]`,
      )
  }

  private list(node: string, owner: string): Open[] {
    const key = `${node}/${owner}`
    let list = this.open.get(key)
    if (!list) {
      list = []
      this.open.set(key, list)
    }
    return list
  }

  private fail(at: number, message: string): void {
    this.violation ??= { invariant: 'hook-order', at, message }
  }
}

function accepts(c: Open, call: string): boolean {
  const next = c.calls.length
  if (c.undo) return UNDO[next] === call
  if (c.recovery)
    return next === 0 && call === (c.action === 'acquire' ? 'PostAcq:acquire' : 'PostRel:release')
  if (FULL[c.action][next] === call) {
    // A Post phase only after the addresses changed.
    return next < 2 || c.changed
  }
  return c.action === 'acquire' && !c.changed && ABANDONED[next] === call && next >= 2
}
