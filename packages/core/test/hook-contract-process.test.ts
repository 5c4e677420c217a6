import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { runHookProcess } from '../src/adapters/hook-process.js'
import {
  type HookContext,
  type HookInvocation,
  hookInvocation,
  notifyInvocation,
} from '../src/model/hook-contract.js'

/** The built package, as a hook written in Node.js imports it (run `turbo run build` first). */
const CORE = new URL('../dist/index.js', import.meta.url).href

let dir: string
let hook: string
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ipfo-contract-'))
  await chmod(dir, 0o755)
  hook = join(dir, 'PostAcq-50-print')
  await writeFile(
    hook,
    `#!/usr/bin/env node
// Reads its context with core's reader and prints it as JSON.
import { parseHookInvocation, parseNotifyInvocation } from '${CORE}'
const argv = process.argv.slice(2)
const read = process.env.IPFO_PHASE === 'Notify' ? parseNotifyInvocation : parseHookInvocation
process.stdout.write(JSON.stringify(read(argv, process.env)))
`,
    { mode: 0o755 },
  )
})
afterAll(async () => {
  await rm(dir, { recursive: true, force: true })
})

/**
 * Runs the hook as the agent does (own process group, clean environment) and parses what it printed.
 * The time limit is generous: a Node.js start takes far longer on a loaded machine than the hook does.
 */
async function whatTheHookRead(invocation: HookInvocation): Promise<unknown> {
  const result = await runHookProcess(hook, invocation, { timeoutMs: 45_000 })
  expect(result, result.stderr).toMatchObject({ exitCode: 0, timedOut: false })
  return JSON.parse(result.stdout)
}

const takeover: HookContext = {
  action: 'acquire',
  owner: 'a',
  node: 'b',
  peer: 'a',
  addresses: [
    { interface: 'eth0', ip: '192.168.1.100', prefix: 24 },
    { interface: 'eth1', ip: 'fd00::100', prefix: 64 },
  ],
  reason: 'peer a lost',
  eventTime: Date.parse('2026-11-25T10:00:00.123Z'),
  detectionMs: 3120,
}

describe('the hook contract, through a real hook process', { timeout: 60_000 }, () => {
  it('gives an acquire hook exactly what the agent wrote', async () => {
    const address = takeover.addresses[1]!
    const extra = { resultsFile: join(dir, 'results.jsonl'), emailRecipient: 'admin@example.com' }
    expect(await whatTheHookRead(hookInvocation('PostAcq', takeover, address, extra))).toStrictEqual({
      stage: 'PostAcq',
      action: 'acquire',
      address,
      addresses: takeover.addresses,
      owner: 'a',
      node: 'b',
      peer: 'a',
      reason: 'peer a lost',
      eventTime: takeover.eventTime,
      detectionMs: 3120,
      resultsFile: extra.resultsFile,
      emailRecipient: 'admin@example.com',
    })
  })

  it('gives a release hook exactly what the agent wrote, the empty fields left out', async () => {
    const giveBack: HookContext = {
      ...takeover,
      action: 'release',
      owner: 'b',
      node: 'b',
      peer: undefined,
      reason: 'operator release',
      detectionMs: undefined,
    }
    const address = giveBack.addresses[0]!
    const extra = { resultsFile: join(dir, 'results.jsonl') }
    // JSON has no undefined: the fields the writer leaves empty are absent from what the hook printed.
    expect(await whatTheHookRead(hookInvocation('PreRel', giveBack, address, extra))).toStrictEqual({
      stage: 'PreRel',
      action: 'release',
      address,
      addresses: giveBack.addresses,
      owner: 'b',
      node: 'b',
      reason: 'operator release',
      eventTime: giveBack.eventTime,
      resultsFile: extra.resultsFile,
    })
  })

  it('gives a Notify script exactly what the agent wrote', async () => {
    const event = {
      kind: 'link-anomaly',
      time: takeover.eventTime,
      peer: 'a',
      up: ['public'],
      down: ['private'],
    }
    const ctx = { node: 'b', description: 'a is silent on private', emailRecipient: 'admin@example.com' }
    expect(await whatTheHookRead(notifyInvocation(event, ctx))).toStrictEqual({
      kind: 'link-anomaly',
      event,
      node: 'b',
      peer: 'a',
      reason: 'a is silent on private',
      eventTime: takeover.eventTime,
      emailRecipient: 'admin@example.com',
    })
  })
})
