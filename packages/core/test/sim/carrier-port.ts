import type { CarrierWatch } from '../../src/model/ports.js'
import type { AgentContext } from './agent-context.js'
import type { InterfaceTable } from './interface-table.js'

/**
 * eth0's carrier as the agent's `ip monitor link` sees it. A change reaches the agent as an I/O
 * event (late while it is paused).
 */
export class CarrierFeed {
  private listener: { ctx: AgentContext; onChange: (iface: string, up: boolean) => void } | undefined

  constructor(
    private readonly node: string,
    private readonly table: InterfaceTable,
  ) {}

  port(ctx: AgentContext): CarrierWatch {
    return {
      start: (interfaces, onChange) => {
        this.listener = { ctx, onChange }
        return ctx.after(0, () =>
          Object.fromEntries(interfaces.map((i) => [i, i !== 'eth0' || this.table.carrierUp(this.node)])),
        )
      },
      close: () => {
        if (this.listener?.ctx === ctx) this.listener = undefined
      },
    }
  }

  /** Tells the watching agent, if any, that eth0 changed. */
  changed(up: boolean): void {
    const l = this.listener
    if (!l?.ctx.live) return
    l.ctx.at(l.ctx.scheduler.now, () => l.onChange('eth0', up))
  }
}
