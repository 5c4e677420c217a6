import { describe, expect, it } from 'vitest'
import { HookContractError } from './errors.js'
import {
  HOOK_STAGES,
  type HookContext,
  hookInvocation,
  notifyInvocation,
  parseHookInvocation,
  parseNotifyInvocation,
} from './hook-contract.js'

const checklist: HookContext = {
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
  fencingToken: '9007199254740993',
}

function contractError(read: () => unknown): HookContractError {
  try {
    read()
  } catch (error) {
    if (error instanceof HookContractError) return error
    throw error
  }
  throw new Error('no HookContractError')
}

describe('parseHookInvocation', () => {
  it('reads back what hookInvocation writes, for every stage and address', () => {
    for (const stage of HOOK_STAGES) {
      for (const address of checklist.addresses) {
        const { argv, env } = hookInvocation(stage, checklist, address, {
          resultsFile: '/var/lib/ipfo/hook-results/1.jsonl',
          emailRecipient: 'admin@example.com',
        })
        expect(parseHookInvocation(argv, env)).toEqual({
          stage,
          action: 'acquire',
          address,
          addresses: checklist.addresses,
          owner: 'a',
          node: 'b',
          peer: 'a',
          reason: 'peer a lost',
          eventTime: checklist.eventTime,
          detectionMs: 3120,
          resultsFile: '/var/lib/ipfo/hook-results/1.jsonl',
          emailRecipient: 'admin@example.com',
          fencingToken: '9007199254740993',
        })
        expect(env.IPFO_FENCING_TOKEN).toBe('9007199254740993')
      }
    }
  })

  it('reads what was left out (no peer, no detection, no recipient) as undefined', () => {
    const release = {
      ...checklist,
      action: 'release' as const,
      peer: undefined,
      detectionMs: undefined,
      fencingToken: undefined,
    }
    const { argv, env } = hookInvocation('PreRel', release, checklist.addresses[0]!, { resultsFile: '' })
    expect(env.IPFO_FENCING_TOKEN).toBe('')
    expect(parseHookInvocation(argv, env)).toMatchObject({
      action: 'release',
      peer: undefined,
      detectionMs: undefined,
      resultsFile: undefined,
      emailRecipient: undefined,
      fencingToken: undefined,
    })
  })

  it('takes the address from the variables when run without argv, as by hand', () => {
    const env = { IPFO_ACTION: 'release', IPFO_ADDRESS: '10.0.0.5', IPFO_PREFIX: '8', IPFO_INTERFACE: 'en0' }
    expect(parseHookInvocation([], env)).toMatchObject({
      stage: undefined,
      action: 'release',
      address: { ip: '10.0.0.5', prefix: 8, interface: 'en0' },
      addresses: [{ ip: '10.0.0.5', prefix: 8, interface: 'en0' }],
    })
  })

  it('names the argument or variable that is missing or malformed', () => {
    const argv = ['acquire', '10.0.0.1/24', 'eth0']
    expect(contractError(() => parseHookInvocation([], {}))).toMatchObject({
      variable: 'IPFO_ACTION',
      message: 'the action is "", not "acquire" or "release"',
      hint: 'a hook is run as: <hook> acquire|release <ip>/<prefix> <interface>',
    })
    expect(contractError(() => parseHookInvocation(['start'], {})).variable).toBe('$1')
    expect(contractError(() => parseHookInvocation(['acquire', '10.0.0.1'], {}))).toMatchObject({
      variable: '$2',
      message: 'the address is "10.0.0.1", not <ip>/<prefix>',
    })
    expect(contractError(() => parseHookInvocation(['acquire'], {})).variable).toBe('IPFO_CIDR')
    const bad: [string, string, RegExp][] = [
      ['IPFO_PHASE', 'PostAcquire', /^IPFO_PHASE is "PostAcquire", not one of Test, PreAcq/],
      [
        'IPFO_ADDRESSES',
        '10.0.0.1/24',
        /^IPFO_ADDRESSES has "10.0.0.1\/24", not <ip>\/<prefix>@<interface>$/,
      ],
      ['IPFO_EVENT_TIME', 'yesterday', /^IPFO_EVENT_TIME is "yesterday", not an ISO 8601 time$/],
      ['IPFO_DETECTION_MS', 'soon', /^IPFO_DETECTION_MS is "soon", not a number of milliseconds$/],
    ]
    for (const [variable, value, message] of bad) {
      const error = contractError(() => parseHookInvocation(argv, { [variable]: value }))
      expect(error.variable).toBe(variable)
      expect(error.message).toMatch(message)
    }
  })
})

describe('parseNotifyInvocation', () => {
  it('reads back what notifyInvocation writes', () => {
    const event = {
      kind: 'link-anomaly',
      time: checklist.eventTime,
      peer: 'a',
      up: ['public'],
      down: ['private'],
    }
    const { argv, env } = notifyInvocation(event, {
      node: 'b',
      description: 'a is silent on private',
      emailRecipient: 'admin@example.com',
    })
    expect(parseNotifyInvocation(argv, env)).toEqual({
      kind: 'link-anomaly',
      event,
      node: 'b',
      peer: 'a',
      reason: 'a is silent on private',
      eventTime: checklist.eventTime,
      emailRecipient: 'admin@example.com',
    })
  })

  it('takes the kind from $1 or the event when IPFO_EVENT is not set, and names what is wrong', () => {
    expect(parseNotifyInvocation(['paused'], {}).kind).toBe('paused')
    expect(parseNotifyInvocation([], { IPFO_EVENT_JSON: '{"kind":"claim-forced"}' }).kind).toBe(
      'claim-forced',
    )
    expect(contractError(() => parseNotifyInvocation([], {})).variable).toBe('IPFO_EVENT')
    expect(contractError(() => parseNotifyInvocation([], { IPFO_EVENT_JSON: '{' }))).toMatchObject({
      variable: 'IPFO_EVENT_JSON',
      message: 'IPFO_EVENT_JSON is not JSON',
    })
  })
})
