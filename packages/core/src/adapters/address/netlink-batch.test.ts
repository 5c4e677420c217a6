import { describe, expect, it } from 'vitest'
import type { CommandResult, IpBatch } from '../../model/ports.js'
import { ipBytes, netlinkBatch, parseCommand, type RtNetlink } from './netlink-batch.js'

describe('the commands the netlink batch takes', () => {
  it('reads linux.ts’s address changes', () => {
    expect(parseCommand(['addr', 'add', '10.0.0.5/24', 'dev', 'eth0'])).toMatchObject({
      op: 'add',
      address: { family: 4, prefix: 24, dev: 'eth0', nodad: false, ip: Buffer.from([10, 0, 0, 5]) },
    })
    expect(parseCommand(['addr', 'add', 'fd00::5/64', 'dev', 'eth0', 'nodad'])).toMatchObject({
      op: 'add',
      address: { family: 6, prefix: 64, nodad: true },
    })
    expect(parseCommand(['addr', 'del', '10.0.0.5/24', 'dev', 'eth0'])).toMatchObject({ op: 'del' })
    expect(
      parseCommand(['addr', 'change', '10.0.0.5/24', 'dev', 'eth0', 'valid_lft', '7', 'preferred_lft', '7']),
    ).toMatchObject({ op: 'change', lifetime: 7 })
    expect(
      parseCommand([
        'addr',
        'change',
        'fd00::5/64',
        'dev',
        'eth0',
        'valid_lft',
        'forever',
        'preferred_lft',
        'forever',
        'nodad',
      ]),
    ).toMatchObject({ op: 'change', lifetime: 0xffffffff, address: { nodad: true } })
    expect(parseCommand(['link', 'show', 'dev', 'lo'])).toEqual({ op: 'ping' })
  })

  it('leaves other commands to ip, and refuses an address change it cannot read', () => {
    expect(parseCommand(['neigh', 'flush', 'dev', 'eth0'])).toEqual({ op: 'flush', dev: 'eth0' })
    expect(parseCommand(['neigh', 'flush', 'dev', 'eth0', 'nud', 'all'])).toBeUndefined()
    expect(parseCommand(['link', 'show'])).toBeUndefined()
    for (const args of [
      ['addr', 'add', '10.0.0.5/33', 'dev', 'eth0'],
      ['addr', 'add', '10.0.0.5', 'dev', 'eth0'],
      ['addr', 'add', 'nonsense/24', 'dev', 'eth0'],
      ['addr', 'add', '10.0.0.5/24', 'eth0'],
      ['addr', 'add', '10.0.0.5/24', 'dev', 'eth0', 'label', 'x'],
      ['addr', 'change', '10.0.0.5/24', 'dev', 'eth0', 'valid_lft', '7', 'preferred_lft', '3'],
      ['addr', 'change', '10.0.0.5/24', 'dev', 'eth0', 'valid_lft', 'soon', 'preferred_lft', 'soon'],
    ])
      expect(typeof parseCommand(args), args.join(' ')).toBe('string')
  })

  it('writes addresses in network order', () => {
    expect(ipBytes('192.0.2.7', 4)).toEqual(Buffer.from([192, 0, 2, 7]))
    expect(ipBytes('fd00::5', 6).toString('hex')).toBe('fd000000000000000000000000000005')
    expect(ipBytes('::1', 6).toString('hex')).toBe('00000000000000000000000000000001')
    expect(ipBytes('fd00:1:2:3:4:5:6:7', 6).toString('hex')).toBe('fd000001000200030004000500060007')
    expect(ipBytes('::ffff:192.0.2.7', 6).toString('hex')).toBe('00000000000000000000ffffc0000207')
    expect(ipBytes('fe80::', 6).toString('hex')).toBe('fe800000000000000000000000000000')
  })
})

/**
 * An rtnetlink socket that answers from a table of interfaces, and fails as the kernel would. A
 * link read takes `linkReadMs` (real time); `notify()` sends a link notification; `fail(e)` a
 * socket error.
 */
function fakeRt(
  links: Map<string, number>,
  opts: { linkReadMs?: number; deny?: boolean; neighbours?: Neighbour[]; brokenDumps?: number } = {},
) {
  const calls: string[] = []
  /** Per address request: the header's port and the lifetime asked, if any. */
  const requests: { localPort: number | undefined; valid: number | undefined }[] = []
  let portReads = 0
  const present = new Set<string>()
  const neighbours = [...(opts.neighbours ?? [])]
  let onMessage: ((m: unknown[], info: { groups: number }) => void) | undefined
  let onError: ((e: Error) => void) | undefined
  const rt: RtNetlink = {
    getLinks: async () => {
      calls.push('getLinks')
      if (opts.linkReadMs) await new Promise((r) => setTimeout(r, opts.linkReadMs))
      return [...links].map(([ifname, index]) => ({ data: { index }, attrs: { ifname } }))
    },
    getLink: async () => {
      calls.push('getLink')
      return []
    },
    newAddress: async (data, attrs, options) => {
      calls.push(`new ${data.index} flags=${options?.flags}`)
      requests.push({ localPort: options?.localPort, valid: attrs.cacheInfo?.ifaValid })
      if (opts.deny) throw new Error('Request rejected: EPERM')
      if (![...links.values()].includes(data.index)) throw new Error('Request rejected: ENODEV')
      const key = `${data.index} ${attrs.local.toString('hex')}`
      if (options?.flags === (0x400 | 0x200) && present.has(key)) throw new Error('Request rejected: EEXIST')
      present.add(key)
      return []
    },
    delAddress: async (data, attrs, options) => {
      calls.push(`del ${data.index}`)
      requests.push({ localPort: options?.localPort, valid: undefined })
      if (!present.delete(`${data.index} ${attrs.local.toString('hex')}`))
        throw new Error('Request rejected: EADDRNOTAVAIL')
      return []
    },
    getNeighbors: async () => {
      calls.push('getNeighbors')
      if (opts.brokenDumps && opts.brokenDumps-- > 0)
        throw new Error('Multipart message not terminated properly')
      return neighbours.map((n) => ({
        data: {
          family: n.family,
          ifindex: n.ifindex,
          state: n.state === 'none' ? {} : { [n.state]: true },
          ...(n.extLearned ? { flags: { extLearned: true as const } } : {}),
        },
        attrs: { dst: Buffer.from(n.dst, 'hex') },
      }))
    },
    delNeighbor: async (data, attrs) => {
      const i = neighbours.findIndex((n) => n.ifindex === data.ifindex && n.dst === attrs.dst.toString('hex'))
      calls.push(`delNeighbor ${data.ifindex} ${attrs.dst.toString('hex')}`)
      if (i < 0) throw new Error('Request rejected: ENOENT')
      neighbours.splice(i, 1)
      return []
    },
    addMembership: (group) => calls.push(`member ${group}`),
    on: (_, listener) => {
      onMessage = listener
    },
    socket: {
      close: () => calls.push('close'),
      on: (_, listener) => {
        onError = listener
      },
      address: () => {
        portReads++
        return { port: 4242 }
      },
    },
  }
  return {
    rt,
    calls,
    requests,
    portReads: () => portReads,
    neighbours,
    notify: () => onMessage?.([{ kind: 'newlink' }], { groups: 1 }),
    answer: () => onMessage?.([{ kind: 'ack' }], { groups: 0 }),
    fail: (e: Error) => onError?.(e),
  }
}

interface Neighbour {
  readonly family: number
  readonly ifindex: number
  readonly state: string
  /** The address, in hex. */
  readonly dst: string
  readonly extLearned?: true
}

const fallbackRecorder = () => {
  const sent: string[] = []
  const batch: IpBatch = {
    run: async (args): Promise<CommandResult> => {
      sent.push(args.join(' '))
      return { exitCode: 0, signal: null, stdout: '', stderr: '' }
    },
    start: () => undefined,
    close: () => sent.push('close'),
  }
  return { batch, sent }
}

describe('netlinkBatch', () => {
  it('answers as ip does: 0, or 1 with the words linux.ts reads', async () => {
    const { rt } = fakeRt(new Map([['eth0', 2]]))
    const nl = netlinkBatch(rt, () => fallbackRecorder().batch)
    const add = ['addr', 'add', '10.0.0.5/24', 'dev', 'eth0']
    expect((await nl.run(add)).exitCode).toBe(0)
    expect(await nl.run(add)).toMatchObject({ exitCode: 1, stderr: 'RTNETLINK answers: File exists\n' })
    expect((await nl.run(['addr', 'del', '10.0.0.5/24', 'dev', 'eth0'])).exitCode).toBe(0)
    expect(await nl.run(['addr', 'del', '10.0.0.5/24', 'dev', 'eth0'])).toMatchObject({
      exitCode: 1,
      stderr: 'RTNETLINK answers: Cannot assign requested address\n',
    })
    expect(await nl.run(['addr', 'add', '10.0.0.5/24', 'dev', 'nope0'])).toMatchObject({
      exitCode: 1,
      stderr: 'Cannot find device "nope0"\n',
    })
    expect(await nl.run(['addr', 'add', '10.0.0.5/24', 'dev', 'eth0', 'label', 'x'])).toMatchObject({
      exitCode: 1,
    })
  })

  it("names the socket's port in every request, read from the socket once; renewals read the same words again right", async () => {
    const { rt, requests, portReads } = fakeRt(new Map([['eth0', 2]]))
    const nl = netlinkBatch(rt, () => fallbackRecorder().batch)
    const renew = (s: string) => [
      'addr',
      'change',
      '10.0.0.5/24',
      'dev',
      'eth0',
      'valid_lft',
      s,
      'preferred_lft',
      s,
    ]
    expect((await nl.run(['addr', 'add', '10.0.0.5/24', 'dev', 'eth0'])).exitCode).toBe(0)
    for (const lifetime of ['4', '4', '2', '4', 'forever'])
      expect((await nl.run(renew(lifetime))).exitCode).toBe(0)
    expect((await nl.run(['addr', 'del', '10.0.0.5/24', 'dev', 'eth0'])).exitCode).toBe(0)
    expect(requests.map((r) => r.valid)).toEqual([undefined, 4, 4, 2, 4, 0xffffffff, undefined])
    expect(requests.every((r) => r.localPort === 4242)).toBe(true)
    expect(portReads()).toBe(1)
    // Words it cannot read are refused every time, not only the first.
    for (let i = 0; i < 2; i++) expect((await nl.run(renew('soon'))).exitCode).toBe(1)
  })

  it('reads the interfaces again when one was made again under a new index', async () => {
    const links = new Map([['eth0', 2]])
    const { rt, calls } = fakeRt(links)
    const nl = netlinkBatch(rt, () => fallbackRecorder().batch)
    expect((await nl.run(['addr', 'add', '10.0.0.5/24', 'dev', 'eth0'])).exitCode).toBe(0)
    links.set('eth0', 7) // deleted and created again
    expect((await nl.run(['addr', 'add', '10.0.0.6/24', 'dev', 'eth0'])).exitCode).toBe(0)
    expect(calls.filter((c) => c !== 'member LINK')).toEqual([
      'getLinks',
      'new 2 flags=1536',
      'new 2 flags=1536',
      'getLinks',
      'new 7 flags=1536',
    ])
  })

  it('reads them again after a link notification (a rename), not after an answer', async () => {
    const links = new Map([['eth0', 2]])
    const { rt, calls, notify, answer } = fakeRt(links)
    const nl = netlinkBatch(rt, () => fallbackRecorder().batch)
    await nl.run(['addr', 'add', '10.0.0.5/24', 'dev', 'eth0'])
    answer()
    await nl.run(['addr', 'del', '10.0.0.5/24', 'dev', 'eth0'])
    expect(calls.filter((c) => c === 'getLinks')).toHaveLength(1)
    // eth0 renamed eth9, and a new eth0 made: index 2 is no longer eth0.
    links.set('eth9', 2)
    links.set('eth0', 8)
    notify()
    expect((await nl.run(['addr', 'add', '10.0.0.6/24', 'dev', 'eth0'])).exitCode).toBe(0)
    expect(calls.filter((c) => c === 'getLinks')).toHaveLength(2)
    expect(calls.at(-1)).toBe('new 8 flags=1536')
  })

  it('sends one request at a time, in the order asked, even when one waits for the interfaces', async () => {
    const links = new Map([['eth0', 2]])
    const { rt, calls } = fakeRt(links, { linkReadMs: 20 })
    const nl = netlinkBatch(rt, () => fallbackRecorder().batch)
    await nl.run(['addr', 'add', '10.0.0.5/24', 'dev', 'eth0'])
    links.set('eth1', 7)
    // A lifetime change on an interface not read yet, then its removal a moment later: the change
    // must not land after the removal (a replace on a missing address adds it back).
    const change = nl.run([
      'addr',
      'change',
      '10.0.1.5/24',
      'dev',
      'eth1',
      'valid_lft',
      '3',
      'preferred_lft',
      '3',
    ])
    await new Promise((r) => setTimeout(r, 1))
    const remove = nl.run(['addr', 'del', '10.0.1.5/24', 'dev', 'eth1'])
    await Promise.all([change, remove])
    expect(calls.filter((c) => c.startsWith('new 7') || c.startsWith('del 7'))).toEqual([
      'new 7 flags=256',
      'del 7',
    ])
  })

  it('sends a request within run when nothing is ahead of it and the interface is known', async () => {
    const { rt, calls } = fakeRt(new Map([['eth0', 2]]))
    const nl = netlinkBatch(rt, () => fallbackRecorder().batch)
    // Before the indexes are read: the request waits for them.
    const first = nl.run(['addr', 'add', '10.0.0.5/24', 'dev', 'eth0'])
    expect(calls.filter((c) => c.startsWith('new'))).toEqual([])
    expect((await first).exitCode).toBe(0)
    // Now the kernel has it when run returns: linux.ts's gratuitous ARP, sent next, comes after it.
    const second = nl.run(['addr', 'add', '10.0.0.6/24', 'dev', 'eth0'])
    expect(calls.filter((c) => c.startsWith('new'))).toEqual(['new 2 flags=1536', 'new 2 flags=1536'])
    expect((await second).exitCode).toBe(0)
    // One behind another waits its turn, and a refusal still reads as ip's.
    const third = nl.run(['addr', 'add', '10.0.0.7/24', 'dev', 'eth0'])
    const again = nl.run(['addr', 'add', '10.0.0.7/24', 'dev', 'eth0'])
    expect(calls.filter((c) => c.startsWith('new'))).toHaveLength(3)
    expect((await third).exitCode).toBe(0)
    expect(await again).toMatchObject({ exitCode: 1, stderr: 'RTNETLINK answers: File exists\n' })
  })

  it('waits for the interfaces read again after a link notification before sending within run', async () => {
    const links = new Map([['eth0', 2]])
    const { rt, calls, notify } = fakeRt(links, { linkReadMs: 5 })
    const nl = netlinkBatch(rt, () => fallbackRecorder().batch)
    await nl.run(['addr', 'add', '10.0.0.5/24', 'dev', 'eth0'])
    // eth0 made again under a new index: the old one must not be used.
    links.set('eth0', 9)
    notify()
    const next = nl.run(['addr', 'add', '10.0.0.6/24', 'dev', 'eth0'])
    expect(calls.filter((c) => c.startsWith('new'))).toEqual(['new 2 flags=1536'])
    expect((await next).exitCode).toBe(0)
    expect(calls.filter((c) => c.startsWith('new'))).toEqual(['new 2 flags=1536', 'new 9 flags=1536'])
  })

  it('does not send a request that waited past its sendWithinMs', async () => {
    const { rt, calls } = fakeRt(new Map([['eth0', 2]]), { linkReadMs: 30 })
    const nl = netlinkBatch(rt, () => fallbackRecorder().batch)
    const first = nl.run(['addr', 'add', '10.0.0.5/24', 'dev', 'eth0'])
    const late = nl.run(
      ['addr', 'change', '10.0.0.5/24', 'dev', 'eth0', 'valid_lft', '3', 'preferred_lft', '3'],
      {
        sendWithinMs: 5,
      },
    )
    expect((await first).exitCode).toBe(0)
    expect(await late).toMatchObject({
      exitCode: 1,
      stderr: expect.stringMatching(/^not sent over rtnetlink/),
    })
    expect(calls.filter((c) => c.startsWith('new'))).toEqual(['new 2 flags=1536'])
  })

  it('reports a socket error instead of throwing it, and says "not permitted" as ip does', async () => {
    const { rt, fail } = fakeRt(new Map([['eth0', 2]]), { deny: true })
    const errors: string[] = []
    const nl = netlinkBatch(rt, () => fallbackRecorder().batch, { onError: (m) => errors.push(m) })
    nl.start()
    fail(new Error('recvmsg ENOBUFS'))
    expect(errors).toEqual(['rtnetlink: recvmsg ENOBUFS'])
    expect(await nl.run(['addr', 'add', '10.0.0.5/24', 'dev', 'eth0'])).toMatchObject({
      exitCode: 1,
      stderr: 'RTNETLINK answers: Operation not permitted\n',
    })
  })

  it('flushes an interface’s neighbours itself, as ip does: all but permanent and noarp, of that interface', async () => {
    const gone = { family: 2, ifindex: 2, state: 'failed', dst: '0a000005' }
    const { rt, calls, neighbours } = fakeRt(new Map([['eth0', 2]]), {
      // A link notice breaks the first dump: read again.
      brokenDumps: 1,
      neighbours: [
        { family: 2, ifindex: 2, state: 'incomplete', dst: '0a000002' },
        { family: 10, ifindex: 2, state: 'stale', dst: 'fd000000000000000000000000000002' },
        { family: 2, ifindex: 2, state: 'permanent', dst: '0a000003' },
        { family: 2, ifindex: 2, state: 'noarp', dst: '0a000004' },
        { family: 2, ifindex: 3, state: 'reachable', dst: '0a000102' },
        { family: 2, ifindex: 2, state: 'none', dst: '0a000006' },
        { family: 2, ifindex: 2, state: 'permanent', dst: '0a000007', extLearned: true },
        gone,
      ],
    })
    const fallback = fallbackRecorder()
    const nl = netlinkBatch(rt, () => fallback.batch)
    // One entry goes by itself between the dump and its delete: not an error.
    const dump = rt.getNeighbors.bind(rt)
    rt.getNeighbors = async (...args) => {
      const entries = await dump(...args)
      if (neighbours.includes(gone)) neighbours.splice(neighbours.indexOf(gone), 1)
      return entries
    }
    expect(await nl.run(['neigh', 'flush', 'dev', 'eth0'])).toMatchObject({ exitCode: 0 })
    expect(neighbours.map((n) => n.dst)).toEqual(['0a000003', '0a000004', '0a000102'])
    expect(calls.filter((c) => c.startsWith('delNeighbor'))).toEqual([
      'delNeighbor 2 0a000002',
      'delNeighbor 2 fd000000000000000000000000000002',
      'delNeighbor 2 0a000006',
      'delNeighbor 2 0a000007',
      'delNeighbor 2 0a000005',
    ])
    // Dumped until nothing is left to delete: the broken dump, the first round, the check.
    expect(calls.filter((c) => c === 'getNeighbors')).toHaveLength(3)
    expect(await nl.run(['neigh', 'flush', 'dev', 'nosuch0'])).toMatchObject({
      exitCode: 1,
      stderr: 'Cannot find device "nosuch0"\n',
    })
    expect(fallback.sent).toEqual([])
  })

  it('a flush does not wait behind address changes, nor they behind it', async () => {
    const { rt, calls } = fakeRt(new Map([['eth0', 2]]), { linkReadMs: 30 })
    let releaseDump: () => void = () => undefined
    rt.getNeighbors = () => {
      calls.push('getNeighbors')
      return new Promise((resolve) => {
        releaseDump = () => resolve([])
      })
    }
    const nl = netlinkBatch(rt, () => fallbackRecorder().batch)
    const flush = nl.run(['neigh', 'flush', 'dev', 'eth0'])
    // The flush's dump hangs; an add asked after it is done all the same.
    await new Promise((r) => setTimeout(r, 50))
    expect(await nl.run(['addr', 'add', '10.0.0.5/24', 'dev', 'eth0'])).toMatchObject({ exitCode: 0 })
    releaseDump()
    expect(await flush).toMatchObject({ exitCode: 0 })
  })

  it('starts ip only for a command it does not take, and closes both', async () => {
    const { rt, calls } = fakeRt(new Map([['eth0', 2]]))
    const fallback = fallbackRecorder()
    let made = 0
    const nl = netlinkBatch(rt, () => {
      made++
      return fallback.batch
    })
    nl.start()
    await nl.run(['addr', 'add', '10.0.0.5/24', 'dev', 'eth0'])
    await nl.run(['neigh', 'flush', 'dev', 'eth0'])
    expect(made).toBe(0)
    await nl.run(['route', 'show'])
    await nl.run(['route', 'show', 'table', 'all'])
    expect(made).toBe(1)
    expect(fallback.sent).toEqual(['route show', 'route show table all'])
    nl.close()
    expect(calls.at(-1)).toBe('close')
    expect(fallback.sent.at(-1)).toBe('close')
  })
})
