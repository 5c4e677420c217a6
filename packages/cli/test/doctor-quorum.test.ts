import { type ChildProcess, spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { type AgentStatus, configSchema } from '@ipfo/core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { checkQuorum } from '../src/doctor/quorum-checks.js'

/** `ipfo doctor`'s quorum checks against one real etcd member on loopback (Debian's etcd 3.4). */
const ETCD = '/usr/bin/etcd'
const skip = existsSync(ETCD) ? undefined : `${ETCD} is missing (apt-get install etcd-server)`
if (skip && process.env.CI === 'true') throw new Error(`etcd tests cannot run on CI: ${skip}`)

let work: string | undefined
let etcd: ChildProcess | undefined
let endpoint = ''

const freePort = () =>
  new Promise<number>((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number }
      server.close(() => resolve(port))
    })
  })

beforeAll(async () => {
  if (skip) return
  work = await mkdtemp(join(existsSync('/dev/shm') ? '/dev/shm' : tmpdir(), 'ipfo-doctor-etcd-'))
  const [client, peer] = [await freePort(), await freePort()]
  endpoint = `http://127.0.0.1:${client}`
  etcd = spawn(
    ETCD,
    [
      `--data-dir=${join(work, 'data')}`,
      `--listen-client-urls=${endpoint}`,
      `--advertise-client-urls=${endpoint}`,
      `--listen-peer-urls=http://127.0.0.1:${peer}`,
      `--initial-advertise-peer-urls=http://127.0.0.1:${peer}`,
      `--initial-cluster=default=http://127.0.0.1:${peer}`,
    ],
    { stdio: 'ignore' },
  )
  const deadline = Date.now() + 20_000
  while (Date.now() < deadline) {
    const healthy = await fetch(`${endpoint}/health`)
      .then(async (r) => ((await r.json()) as { health?: string }).health === 'true')
      .catch(() => false)
    if (healthy) return
    await new Promise((r) => setTimeout(r, 100))
  }
  throw new Error(`etcd on ${endpoint} did not become healthy within 20 s`)
}, 30_000)

afterAll(async () => {
  etcd?.kill('SIGKILL')
  if (work) await rm(work, { recursive: true, force: true })
})

const config = async (endpoints: string[], leaseTtl = '5s') => {
  await writeFile(join(work!, 'key'), 'x')
  return configSchema.parse({
    node: 'a',
    key: join(work!, 'key'),
    links: [{ name: 'private', targets: ['10.1.0.255'] }],
    coordination: { kind: 'etcd', endpoints, leaseTtl },
  })
}

describe.skipIf(skip !== undefined)('ipfo doctor with a quorum store', () => {
  it('passes when the store grants a lease, and leaves no lease behind', async () => {
    const checks = await checkQuorum(await config([endpoint]), undefined)
    expect(checks).toEqual([expect.objectContaining({ check: 'quorum store', verdict: 'pass' })])
    expect(checks[0]!.detail).toContain('granted a lease (TTL 5s)')
    const leases = (await (
      await fetch(`${endpoint}/v3/lease/leases`, { method: 'POST', body: '{}' })
    ).json()) as {
      leases?: unknown[]
    }
    expect(leases.leases ?? []).toEqual([])
  })

  it('warns that a lease under 4 s leaves a frozen agent without the kernel fence', async () => {
    const checks = await checkQuorum(await config([endpoint], '3s'), undefined)
    expect(checks.map((c) => [c.check, c.verdict])).toEqual([
      ['quorum store', 'pass'],
      ['quorum lease', 'warn'],
    ])
    expect(checks[1]!.hint).toContain('4s')
  })

  it('fails naming the endpoint when nothing answers there, with what to do', async () => {
    const closed = `http://127.0.0.1:${await freePort()}`
    const [check] = await checkQuorum(await config([closed]), undefined)
    expect(check).toMatchObject({ check: 'quorum store', verdict: 'fail' })
    expect(check!.detail).toContain(closed)
    expect(check!.hint).toBeTruthy()
  })

  it("with a running agent: says whether the agent's lease is valid, loudly when it keeps addresses without one", async () => {
    const quorum: NonNullable<AgentStatus['quorum']> = {
      valid: false,
      onLoss: 'keep',
      leaseId: null,
      validForMs: 0,
      endpoints: [endpoint],
      lastAnswered: null,
      held: [],
    }
    const status = { quorum } as AgentStatus
    const checks = await checkQuorum(await config([endpoint]), status)
    expect(checks.map((c) => [c.check, c.verdict])).toEqual([
      ['quorum store', 'pass'],
      ['agent quorum', 'fail'],
    ])
    const valid = {
      quorum: { ...quorum, valid: true, onLoss: 'release', leaseId: '9', validForMs: 3_000 },
    } as AgentStatus
    expect((await checkQuorum(await config([endpoint]), valid))[1]).toMatchObject({ verdict: 'pass' })
  })
})
