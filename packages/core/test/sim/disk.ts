import type { Journal, JournalEntry, ReplaySnapshot, ReplayStore } from '../../src/model/ports.js'
import type { AgentContext } from './agent-context.js'

/**
 * A node's state directory: the checklist journal and the replay marks. It outlives crashes and
 * machine resets; a write in flight when the agent dies is lost.
 */
export class Disk {
  private readonly entries = new Map<string, JournalEntry>()
  private snapshot: ReplaySnapshot | undefined

  constructor(private readonly latencyMs: number) {}

  journal(ctx: AgentContext): Journal {
    return {
      write: (entry) =>
        ctx.after(this.latencyMs, () => {
          this.entries.set(entry.key, entry)
        }),
      remove: (key) =>
        ctx.after(this.latencyMs, () => {
          this.entries.delete(key)
        }),
      leftovers: () => ctx.after(0, () => [...this.entries.values()]),
    }
  }

  replayStore(ctx: AgentContext): ReplayStore {
    return {
      load: () => ctx.after(0, () => this.snapshot),
      save: (snapshot) =>
        ctx.after(0, () => {
          this.snapshot = snapshot
        }),
    }
  }
}
