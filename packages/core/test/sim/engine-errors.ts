import type { IpfoEvent } from '../../src/model/events.js'
import type { Violation } from './violation.js'

/**
 * `engine-error`: no `error` event and no failing engine call, except the errors the scenario
 * caused on purpose: a fault made a port fail (an add refused), and the engine reported just that.
 * Nor an `order-mismatch`: every node's config gives the same orders (node-config.ts).
 */
export class EngineErrors {
  private readonly expected = new Map<string, string[]>()
  violation: Violation | undefined

  expect(node: string, context: string): void {
    const list = this.expected.get(node) ?? []
    list.push(context)
    this.expected.set(node, list)
  }

  event(node: string, e: IpfoEvent, now: number): void {
    if (e.kind === 'order-mismatch')
      this.violation ??= {
        invariant: 'engine-error',
        at: now,
        message: `${node}: order-mismatch: ${e.detail}`,
      }
    if (e.kind !== 'error') return
    const list = this.expected.get(node) ?? []
    const i = list.indexOf(e.context)
    if (i !== -1) {
      list.splice(i, 1)
      return
    }
    this.violation ??= { invariant: 'engine-error', at: now, message: `${node}: ${e.context}: ${e.message}` }
  }

  failure(node: string, what: string, error: unknown, now: number): void {
    const message = error instanceof Error ? (error.stack ?? error.message) : String(error)
    this.violation ??= { invariant: 'engine-error', at: now, message: `${node}: ${what} failed: ${message}` }
  }
}
