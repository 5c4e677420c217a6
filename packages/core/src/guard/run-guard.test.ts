import { describe, expect, it } from 'vitest'
import { FakeAddressControl } from '../../test/fakes/fake-address-control.js'
import { briefLine, helloLine, STAND_DOWN_LINE, wordLine } from '../adapters/guard-protocol.js'
import { addressKey, type InterfaceAddress } from '../model/ip.js'
import { type GuardDeps, runGuard } from './run-guard.js'

/**
 * The guard's decision at the agent's death, on fakes: what it removes, whether the last word goes
 * out, and that nothing at all happens after a clean stop. The real process is run by the CLI's
 * guard tests, in network namespaces.
 */
const A: InterfaceAddress = { interface: 'eth0', ip: '10.0.0.100', prefix: 24, family: 4 }
const HELLO = helloLine({
  node: 'a',
  platform: 'linux',
  links: [
    { name: 'lan', targets: [{ host: '10.0.0.2', port: 1700 }] },
    { name: 'back', listen: '192.168.9.1', targets: [{ host: '192.168.9.2', port: 1700 }] },
  ],
  log: 1,
  stateDir: '/var/lib/ipfo',
})
const WORDS = wordLine([
  { link: 'lan', data: new Uint8Array([1, 2, 3]) },
  { link: 'back', data: new Uint8Array([4, 5, 6]) },
])

/** The guard over these lines, as if the pipe closed after the last; what it removed and sent, in order. */
async function guardOver(
  lines: string[],
  opts: { failRemove?: boolean; failLink?: string; leftover?: string; rehearse?: boolean } = {},
) {
  const steps: string[] = []
  const address = new FakeAddressControl()
  address.held.add(addressKey(A))
  if (opts.rehearse)
    address.rehearse = async (addresses) => {
      steps.push(`rehearse ${addresses.map(addressKey).join(' ')}`)
    }
  const remove = address.remove.bind(address)
  address.remove = async (a) => {
    if (opts.failRemove) throw new Error('RTNETLINK answers: Operation not permitted')
    await remove(a)
    steps.push(`remove ${addressKey(a)}`)
  }
  const bad: string[] = []
  const deps: GuardDeps = {
    address: () => address,
    sender: () => ({
      send: async (link, data) => {
        if (link === opts.failLink) throw new Error('send ENETUNREACH')
        steps.push(`send ${link} ${[...data].join(',')}`)
      },
      close: () => steps.push('close'),
    }),
    onBadLine: (m) => bad.push(m),
    endLeftovers: async () => {
      steps.push('end leftovers')
      return opts.leftover
    },
  }
  async function* read() {
    for (const l of lines.join('').split('\n')) yield l
  }
  const outcome = await runGuard(read(), deps)
  return { outcome, steps, bad, stillThere: address.held.has(addressKey(A)) }
}

describe('the guard at the agent’s death', () => {
  it('removes the handed-over addresses, then sends the last word on every link', async () => {
    const { outcome, steps, stillThere } = await guardOver([
      HELLO,
      briefLine({ handOver: [A], keep: [] }),
      WORDS,
    ])
    expect(stillThere).toBe(false)
    // Three copies of each word, a few ms apart: one lost datagram does not cost deadAfter.
    // The dead agent's ip -batch is gone before the remove: an add it held cannot land after it.
    expect(steps.slice(0, 2)).toEqual(['end leftovers', 'remove 10.0.0.100/24@eth0'])
    expect(steps.slice(2, -1).sort()).toEqual([
      ...Array(3).fill('send back 4,5,6'),
      ...Array(3).fill('send lan 1,2,3'),
    ])
    expect(steps.at(-1)).toBe('close')
    expect(outcome).toMatchObject({
      kind: 'acted',
      removed: ['10.0.0.100/24@eth0'],
      lastWord: ['lan', 'back'],
    })
  })

  it('removes but sends no word when the dead agent’s ip -batch would not end: an add of it could still land', async () => {
    const leftover = "the dead agent's ip -batch (pid 4711) still ran 500 ms after SIGKILL"
    const { outcome, steps, stillThere } = await guardOver(
      [HELLO, briefLine({ handOver: [A], keep: [] }), WORDS],
      { leftover },
    )
    expect(stillThere).toBe(false)
    expect(steps).toEqual(['end leftovers', 'remove 10.0.0.100/24@eth0', 'close'])
    expect(outcome).toMatchObject({ kind: 'acted', lastWord: [], failures: [leftover] })
  })

  it('touches nothing of the dead agent’s when it keeps the addresses', async () => {
    const { steps } = await guardOver([HELLO, briefLine({ handOver: [], keep: [A] }), WORDS])
    expect(steps).toEqual(['close'])
  })

  it('goes once through the removal’s path when the agent says hello, not at the takeover that brings its first hand-over, and says how long it took', async () => {
    const { steps, outcome } = await guardOver(
      [
        HELLO,
        briefLine({ handOver: [], keep: [A] }),
        briefLine({ handOver: [A], keep: [] }),
        briefLine({ handOver: [A], keep: [] }),
        WORDS,
      ],
      { rehearse: true },
    )
    expect(steps.filter((s) => s.startsWith('rehearse'))).toEqual(['rehearse '])
    expect(steps[0]).toBe('rehearse ')
    expect(outcome.kind === 'acted' && outcome.tookMs).toBeGreaterThanOrEqual(0)
  })

  it('sends the latest word and acts on the latest brief', async () => {
    const older = wordLine([{ link: 'lan', data: new Uint8Array([9]) }])
    const { steps } = await guardOver([
      HELLO,
      older,
      briefLine({ handOver: [], keep: [A] }),
      briefLine({ handOver: [A], keep: [] }),
      WORDS,
    ])
    expect(new Set(steps.filter((s) => s.startsWith('send')))).toEqual(
      new Set(['send lan 1,2,3', 'send back 4,5,6']),
    )
  })

  it('keeps what no peer can take, and then says nothing', async () => {
    const { outcome, steps, stillThere } = await guardOver([
      HELLO,
      briefLine({ handOver: [], keep: [A] }),
      WORDS,
    ])
    expect(stillThere).toBe(true)
    expect(steps).toEqual(['close'])
    expect(outcome).toMatchObject({ kind: 'acted', removed: [], kept: ['10.0.0.100/24@eth0'], lastWord: [] })
  })

  it('sends no word when an address could not be removed: the peer waits for silence instead', async () => {
    const { outcome, steps, stillThere } = await guardOver(
      [HELLO, briefLine({ handOver: [A], keep: [] }), WORDS],
      { failRemove: true },
    )
    expect(stillThere).toBe(true)
    expect(steps).toEqual(['end leftovers', 'close'])
    expect(outcome).toMatchObject({ kind: 'acted', lastWord: [] })
    expect(outcome.kind === 'acted' && outcome.failures[0]).toMatch(/removing 10.0.0.100\/24@eth0: RTNETLINK/)
  })

  it('still speaks on the links that work when one cannot send', async () => {
    const { outcome } = await guardOver([HELLO, briefLine({ handOver: [A], keep: [] }), WORDS], {
      failLink: 'lan',
    })
    expect(outcome).toMatchObject({
      kind: 'acted',
      lastWord: ['back'],
      failures: ['last word on lan: send ENETUNREACH'],
    })
  })
})

describe('a clean stop', () => {
  it('does nothing after a stand-down, whatever the brief said', async () => {
    const { outcome, steps, stillThere } = await guardOver([
      HELLO,
      briefLine({ handOver: [A], keep: [] }),
      WORDS,
      STAND_DOWN_LINE,
    ])
    expect(outcome).toEqual({ kind: 'stood-down' })
    expect(stillThere).toBe(true)
    expect(steps).toEqual(['close'])
  })

  it('does nothing, and reports nothing, when the agent held nothing', async () => {
    const { outcome, steps } = await guardOver([HELLO, briefLine({ handOver: [], keep: [] }), WORDS])
    expect(outcome).toEqual({ kind: 'stood-down' })
    expect(steps).toEqual(['close'])
  })

  it('does nothing when the agent died before saying who it was', async () => {
    const { outcome, steps } = await guardOver([])
    expect(outcome).toEqual({ kind: 'stood-down' })
    expect(steps).toEqual([])
  })

  it('passes over a line it cannot read and says which', async () => {
    const { outcome, bad } = await guardOver([
      HELLO,
      '{"t":"brief","handOver":"10.0.0.100"}\n',
      'not json\n',
      briefLine({ handOver: [A], keep: [] }),
      WORDS,
    ])
    expect(bad).toEqual([
      expect.stringMatching(/^guard message handOver: /),
      expect.stringMatching(/^guard message is not JSON: not json/),
    ])
    expect(outcome).toMatchObject({ kind: 'acted', removed: ['10.0.0.100/24@eth0'] })
  })
})
