import type { Conditions } from './conditions.js'
import type { InterfaceTable } from './interface-table.js'
import type { Network, NetworkRule } from './network.js'
import type { Fault } from './schedule.js'
import type { Scheduler } from './scheduler.js'
import { serviceEffects } from './service-faults.js'
import type { NodeObserver, SimNode } from './sim-node.js'

export interface FaultWorld {
  readonly scheduler: Scheduler
  readonly network: Network
  readonly table: InterfaceTable
  readonly conditions: Conditions
  readonly observer: NodeObserver
  node(id: string): SimNode
}

/** Puts every fault of the schedule on the queue: its start at `at`, its end at `until`. */
export function scheduleFaults(faults: readonly Fault[], world: FaultWorld): void {
  const paused = new Map<string, number>()
  const carrierOut = new Map<string, number>()
  for (const fault of faults) {
    const { start, end } = effects(fault, world, paused, carrierOut)
    world.scheduler.at(fault.at, () => {
      world.observer.trace('', `fault ${describeFault(fault)}`)
      start()
      world.conditions.invalidate()
    })
    if ('until' in fault && fault.until !== undefined && end)
      world.scheduler.at(fault.until, () => {
        world.observer.trace('', `lift ${fault.kind}${'node' in fault ? ` ${fault.node}` : ''}`)
        end()
        world.conditions.invalidate()
      })
  }
}

function effects(
  fault: Fault,
  world: FaultWorld,
  paused: Map<string, number>,
  carrierOut: Map<string, number>,
): { start: () => void; end?: () => void } {
  const { scheduler, network, table, conditions } = world
  switch (fault.kind) {
    case 'partition':
    case 'sever':
    case 'cut':
    case 'loss':
    case 'delay': {
      const { at: _at, until: _until, ...rule } = fault
      const r = rule as NetworkRule
      return { start: () => network.addRule(r), end: () => network.removeRule(r) }
    }
    case 'pause':
      return {
        start: () => count(paused, fault.node, +1) === 1 && scheduler.pause(fault.node),
        end: () => count(paused, fault.node, -1) === 0 && scheduler.resume(fault.node),
      }
    case 'crash':
      return {
        start: () => world.node(fault.node).crash(fault.wipe),
        end: () => world.node(fault.node).start(),
      }
    case 'crash-in-checklist': {
      const node = world.node(fault.node)
      const crash = () => {
        world.observer.trace(fault.node, `crashing ${fault.afterMs} ms into this checklist`)
        scheduler.at(scheduler.now + fault.afterMs, () => {
          node.crash(fault.wipe)
          world.conditions.invalidate()
          if (fault.restartAfterMs !== undefined)
            scheduler.at(scheduler.now + fault.restartAfterMs, () => {
              node.start()
              world.conditions.invalidate()
            })
        })
      }
      return { start: () => node.atNextChecklist.push(crash) }
    }
    case 'stop':
      return { start: () => world.node(fault.node).stop(), end: () => world.node(fault.node).start() }
    case 'carrier': {
      const set = (up: boolean) => {
        const out = count(carrierOut, fault.node, up ? -1 : +1)
        if ((up && out === 0) || (!up && out === 1)) {
          table.setCarrier(fault.node, up)
          world.node(fault.node).carrier.changed(up)
        }
      }
      return { start: () => set(false), end: () => set(true) }
    }
    case 'hooks': {
      const obstructs = (fault.fail?.length ?? 0) > 0 || fault.refuse !== undefined
      const node = world.node(fault.node)
      return {
        start: () => {
          node.hookFaults.add(fault)
          if (obstructs) conditions.obstruct(fault.node, true)
        },
        end: () => {
          node.hookFaults.delete(fault)
          if (obstructs) conditions.obstruct(fault.node, false)
        },
      }
    }
    case 'arbiter': {
      const node = world.node(fault.node)
      return {
        start: () => {
          node.arbiterFaults.push(fault.answer)
          conditions.obstruct(fault.node, true)
        },
        end: () => {
          node.arbiterFaults.splice(node.arbiterFaults.indexOf(fault.answer), 1)
          conditions.obstruct(fault.node, false)
        },
      }
    }
    case 'add-fails': {
      const node = world.node(fault.node)
      return {
        start: () => {
          node.addFaults++
          conditions.obstruct(fault.node, true)
        },
        end: () => {
          node.addFaults--
          conditions.obstruct(fault.node, false)
        },
      }
    }
    case 'service':
    case 'flap':
    case 'slow-check':
      return serviceEffects(fault, world.node(fault.node), scheduler)
    case 'maintenance':
      return {
        start: () => operator(world, fault.node, 'maintenance on'),
        end: () => operator(world, fault.node, 'maintenance off'),
      }
    case 'operator':
      return { start: () => operator(world, fault.node, `${fault.command} ${fault.owner}`) }
    case 'tamper':
      return { start: () => tamper(fault, world) }
  }
}

/**
 * An `ipfo` command reaching the node's control socket: answered by the running agent (later if
 * it is paused), refused with "not running" if there is none.
 */
function operator(world: FaultWorld, id: string, command: string): void {
  const node = world.node(id)
  const engine = node.engine
  if (!engine || node.state !== 'up') {
    world.observer.trace(id, `operator ${command}: agent not running`)
    return
  }
  const gen = node.gen
  world.scheduler.at(
    world.scheduler.now,
    () => {
      const now = world.scheduler.now
      const [verb, arg] = command.split(' ') as [string, string]
      let refusal: string | undefined
      try {
        if (verb === 'maintenance') {
          engine.maintenance(arg === 'on')
          node.maintenance = arg === 'on'
        } else if (verb === 'takeover') {
          refusal = engine.takeover(arg)
          if (!refusal) {
            world.conditions.lastTakeoverAt = now
            if (arg === id) node.heldBack = false
            else node.manualFor.add(arg)
          }
        } else {
          refusal = engine.release(arg)
          if (!refusal && arg === id) node.heldBack = true
          if (!refusal) node.manualFor.delete(arg)
        }
      } catch (error) {
        world.observer.engineFailure(id, `operator ${command}`, error)
      }
      if (!refusal) world.conditions.of(id).operatorChangedAt = now
      world.conditions.invalidate()
      world.observer.trace(id, `operator ${command}: ${refusal ?? 'accepted'}`)
    },
    { node: id, gen, phase: 'io' },
  )
}

function tamper(fault: Extract<Fault, { kind: 'tamper' }>, world: FaultWorld): void {
  const address = fault.address ?? ''
  switch (fault.action) {
    case 'add':
      world.table.add(fault.node, address)
      break
    case 'remove':
      world.table.remove(fault.node, address)
      break
    case 'hook':
      world.observer.hook(fault.node, 'PostAcq', {
        action: 'acquire',
        owner: fault.node,
        node: fault.node,
        peer: undefined,
        addresses: [],
        reason: 'tampered',
        eventTime: 0,
        detectionMs: undefined,
      })
      break
    case 'error':
      world.node(fault.node).engine?.report({ kind: 'error', message: 'tampered', context: 'tamper' })
      break
  }
}

function count(map: Map<string, number>, key: string, by: number): number {
  const n = (map.get(key) ?? 0) + by
  map.set(key, n)
  return n
}

/** A fault in one line, for traces and printed schedules. */
export function describeFault(f: Fault): string {
  const { kind, at, ...rest } = f
  const span = 'until' in f && f.until !== undefined ? `${at}-${f.until}` : `${at}`
  const { until: _until, ...fields } = rest as Record<string, unknown>
  const parts = Object.entries(fields).map(([k, v]) => `${k}=${JSON.stringify(v).replaceAll('"', '')}`)
  return `${kind} @${span} ${parts.join(' ')}`.trim()
}
