import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { hookProcessRunner } from '../src/adapters/hook-process.js'
import { hooksSchema } from '../src/config/schema.js'
import { notifyHooks } from '../src/hooks/notify-hooks.js'
import type { IpfoEvent } from '../src/model/events.js'
import type { EventBody } from '../src/state-machine/effects.js'

let dir: string
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ipfo-notify-'))
  await chmod(dir, 0o755)
})
afterEach(async () => {
  await rm(dir, { recursive: true, force: true })
})

const anomaly: IpfoEvent = {
  kind: 'link-anomaly',
  peer: 'a',
  up: ['public'],
  down: ['private'],
  time: Date.UTC(2026, 10, 25),
}

async function settle(events: EventBody[], count: number) {
  for (let i = 0; i < 200 && events.filter((e) => e.kind === 'hook-finished').length < count; i++) {
    await new Promise((r) => setTimeout(r, 10))
  }
}

describe('Notify hooks', () => {
  it('runs the top-level Notify* scripts in order for a link anomaly, with the event in the environment', async () => {
    const out = join(dir, 'out.txt')
    for (const name of ['Notify-20-second', 'Notify-10-first']) {
      await writeFile(
        join(dir, name),
        `#!/bin/sh\necho "${name} $1 $IPFO_PHASE $IPFO_EVENT $IPFO_PEER $FAILOVER_EMAIL_RECIPIENT" >> ${out}\necho "$IPFO_EVENT_JSON" >> ${out}\n`,
      )
      await chmod(join(dir, name), 0o755)
    }
    const events: EventBody[] = []
    const notify = notifyHooks({
      dir,
      config: hooksSchema.parse({ emailRecipient: 'ops@example.com' }),
      node: 'b',
      runAsRoot: process.getuid?.() === 0,
      run: hookProcessRunner(),
      emit: (e) => events.push(e),
    })
    notify({ kind: 'peer-restored', peer: 'a', incarnation: 1, restarted: false, time: 0 })
    notify(anomaly)
    await settle(events, 2)
    const lines = (await readFile(out, 'utf8')).trim().split('\n')
    expect(lines[0]).toBe('Notify-10-first link-anomaly Notify link-anomaly a ops@example.com')
    expect(JSON.parse(lines[1]!)).toEqual(anomaly)
    expect(lines[2]).toBe('Notify-20-second link-anomaly Notify link-anomaly a ops@example.com')
    expect(events.map((e) => e.kind)).toEqual(['hook-finished', 'hook-finished'])
  })
})
