import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it, onTestFinished, vi } from 'vitest'
import { etcdClientOptions } from './etcd-clients.js'
import { etcdCoordinator } from './etcd-coordinator.js'

const loads = vi.hoisted(() => ({ etcd3: 0 }))
vi.mock('etcd3', async (original) => {
  loads.etcd3++
  return original()
})

describe('etcd clients', () => {
  it('load etcd3 at prepare (before heartbeats start), not when the coordinator is built', async () => {
    const coordinator = etcdCoordinator({
      config: { endpoints: ['http://127.0.0.1:9'], prefix: '/ipfo/', leaseTtl: 3_000, margin: 750 },
    })
    expect(loads.etcd3).toBe(0)
    await coordinator.prepare()
    expect(loads.etcd3).toBe(1)
  })

  it('give every login its own deadline (etcd3 logs in inside the first call, without its deadline)', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'ipfo-etcd-clients-'))
    onTestFinished(() => rm(dir, { recursive: true, force: true }))
    await writeFile(join(dir, 'password'), 'secret\n')
    const options = await etcdClientOptions(
      { endpoints: ['http://127.0.0.1:9'], user: 'ipfo', passwordFile: join(dir, 'password') },
      1_500,
    )
    expect(options.auth).toMatchObject({ username: 'ipfo', password: 'secret' })
    const callOptions = options.auth?.callOptions
    const resolved = typeof callOptions === 'function' ? callOptions({} as never) : callOptions
    const deadline = (resolved as { deadline?: Date } | undefined)?.deadline
    expect(deadline).toBeInstanceOf(Date)
    expect((deadline as Date).getTime() - Date.now()).toBeGreaterThan(0)
    expect((deadline as Date).getTime() - Date.now()).toBeLessThanOrEqual(1_500)
  })
})
