import { EventEmitter } from 'node:events'
import { describe, expect, it } from 'vitest'
import { FakeClock, flushPromises } from '../../../test/fakes/fake-clock.js'
import { EndpointOrder } from './endpoint-race.js'
import type { EtcdClients } from './etcd-clients.js'
import { etcdLeaseApi } from './etcd-lease-api.js'

const A = 'http://a:2379'
const B = 'http://b:2379'

/** Members whose grants wait for the test to answer them, and the revokes they were sent. */
function grantingMembers() {
  const grants: { endpoint: string; answer(id: string): void }[] = []
  const revoked: [string, string][] = []
  const member = (endpoint: string) => ({
    leaseClient: {
      leaseGrant: ({ TTL }: { TTL: number }) =>
        new Promise((resolve) =>
          grants.push({ endpoint, answer: (id) => resolve({ ID: id, TTL: String(TTL) }) }),
        ),
      leaseRevoke: async ({ ID }: { ID: string }) => {
        revoked.push([endpoint, ID])
        return {}
      },
    },
  })
  // Only what the grant uses of etcd3's client.
  const clients = { member, memberWatch: undefined, close: () => undefined } as unknown as EtcdClients
  return { clients, grants, revoked }
}

describe('etcd lease API', () => {
  it('asks a second member for a lease when the first is slow, and revokes the lease the slow one grants after', async () => {
    const clock = new FakeClock()
    const { clients, grants, revoked } = grantingMembers()
    const api = etcdLeaseApi(clients, new EndpointOrder([A, B]), clock)
    const granted = api.grant(5, 3_000)
    await clock.advance(999)
    expect(grants.map((g) => g.endpoint)).toEqual([A])
    await clock.advance(1)
    expect(grants.map((g) => g.endpoint)).toEqual([A, B])
    grants[1]?.answer('22')
    await expect(granted).resolves.toEqual({ id: '22', ttlSeconds: 5, endpoint: B })
    expect(revoked).toEqual([])
    grants[0]?.answer('11')
    await flushPromises()
    expect(revoked).toEqual([[A, '11']])
  })

  it('makes a new client, so a new login, for a member whose keep-alive stream was refused for an expired token', async () => {
    const clock = new FakeClock()
    const renewed: string[] = []
    const refusingStream = () => {
      const stream = Object.assign(new EventEmitter(), {
        write: () => {
          queueMicrotask(() =>
            stream.emit('error', new Error('16 UNAUTHENTICATED: etcdserver: invalid auth token')),
          )
        },
        end: () => undefined,
        cancel: () => undefined,
      })
      return stream
    }
    const clients = {
      member: () => ({ leaseClient: { leaseKeepAlive: async () => refusingStream() } }),
      renew: (endpoint: string) => renewed.push(endpoint),
    } as unknown as EtcdClients
    const api = etcdLeaseApi(clients, new EndpointOrder([A]), clock)
    const error = await api.keepAlive('7', 1_000).catch((e: unknown) => e as Error)
    expect(error).toBeInstanceOf(Error)
    expect((error as Error).message).toContain(`${A}: login expired`)
    expect(renewed).toEqual([A])
  })
})
