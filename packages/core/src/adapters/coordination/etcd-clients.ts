import { readFile } from 'node:fs/promises'
import { rootCertificates } from 'node:tls'
import type { Etcd3, IOptions } from 'etcd3'
import type { EtcdCoordinationConfig } from '../../config/coordination-schema.js'
import { CoordinationError } from '../../model/errors.js'

/**
 * The etcd clients of one coordinator: one per member, so that every call knows which member
 * answered or failed (and no hidden retry or circuit breaker of the library stretches a renewal past
 * its deadline), and for each watch one of its own per member (the coordinator watches a key on
 * every member: one cut off from the majority hears nothing). A watch has a client of its own
 * because a stream keeps the login it was opened with: a watch refused for an expired login needs a
 * new stream, which only a new client opens (the other watches keep theirs).
 */
export interface EtcdClients {
  readonly member: (endpoint: string) => Etcd3
  /** A new client of one member, for one watch (broken streams tried again); the caller closes it. */
  memberWatch(endpoint: string): Etcd3
  /**
   * Replaces a member's client with a new one, which logs in again: etcd3 drops a token etcd no
   * longer takes (it expires after etcd's --auth-token-ttl unused) only when a unary call is
   * refused for it, never when a stream is (a keep-alive, a watch), so the old client would send it
   * again and again.
   */
  renew(endpoint: string): void
  /**
   * With a user set, logs in to every member now (a login goes through raft: paid here, not by the
   * first renewal a member is asked for). Failures are left to the calls: a member may be down.
   */
  logInEverywhere(timeoutMs: number): Promise<void>
  close(): void
}

/** Between two tries of a broken watch stream: short, a taker waits on it. */
const WATCH_RETRY_MS = 250

/**
 * Reads the TLS and password files and builds the clients. etcd3 (with gRPC and its protocol files)
 * is loaded here, not when the module is imported: the CLI's start-up must not pay for it.
 */
export type EtcdConnectConfig = Pick<EtcdCoordinationConfig, 'endpoints' | 'tls' | 'user' | 'passwordFile'>

let loading: Promise<readonly [typeof import('etcd3'), typeof import('cockatiel')]> | undefined

/**
 * Loads etcd3 and cockatiel once. etcd3 parses its protocol files synchronously as it loads (100 to
 * 300 ms with the event loop blocked): done before heartbeats start, it delays none of them.
 */
export function loadEtcd(): Promise<readonly [typeof import('etcd3'), typeof import('cockatiel')]> {
  loading ??= Promise.all([import('etcd3'), import('cockatiel')] as const)
  return loading
}

export async function connectEtcd(config: EtcdConnectConfig, loginTimeoutMs: number): Promise<EtcdClients> {
  const [{ Etcd3 }, { ConstantBackoff, noop }] = await loadEtcd()
  const shared = await etcdClientOptions(config, loginTimeoutMs)
  const memberClient = (endpoint: string) =>
    new Etcd3({ ...shared, hosts: endpoint, faultHandling: { host: () => noop, global: noop } })
  const members = new Map(config.endpoints.map((endpoint) => [endpoint, memberClient(endpoint)]))
  const watchClient = (hosts: string) =>
    new Etcd3({
      ...shared,
      hosts,
      faultHandling: {
        host: () => noop,
        global: noop,
        watchBackoff: new ConstantBackoff(WATCH_RETRY_MS).next(),
      },
    })
  return {
    member(endpoint) {
      const client = members.get(endpoint)
      if (!client) throw new Error(`${endpoint} is not one of the configured etcd endpoints`)
      return client
    },
    memberWatch(endpoint) {
      if (!members.has(endpoint)) throw new Error(`${endpoint} is not one of the configured etcd endpoints`)
      return watchClient(endpoint)
    },
    renew(endpoint) {
      const old = members.get(endpoint)
      if (!old) return
      members.set(endpoint, memberClient(endpoint))
      old.close()
    },
    async logInEverywhere(timeoutMs) {
      if (!shared.auth) return
      // Any call logs in first; a status needs no permission on any key.
      await Promise.allSettled(
        [...members.values()].map((client) =>
          client.maintenance.status({ deadline: new Date(Date.now() + timeoutMs) }),
        ),
      )
    },
    close() {
      for (const client of members.values()) client.close()
    },
  }
}

/**
 * The options every client shares. A login gets its own deadline: etcd3 makes it lazily, inside the
 * first call, without the call's deadline, and every later call of that client waits on it; a login
 * that hangs (a member cut off from the majority waits for a leader) would make the member useless.
 */
export async function etcdClientOptions(
  config: EtcdConnectConfig,
  loginTimeoutMs: number,
): Promise<Omit<IOptions, 'hosts'>> {
  const { tls, user, passwordFile } = config
  const options: Omit<IOptions, 'hosts'> = {}
  if (tls) {
    const [ca, cert, key] = await Promise.all([
      tls.ca ? file('tls.ca', tls.ca) : Buffer.from(rootCertificates.join('\n')),
      tls.cert ? file('tls.cert', tls.cert) : undefined,
      tls.key ? file('tls.key', tls.key) : undefined,
    ])
    options.credentials = {
      rootCertificate: ca,
      ...(key && { privateKey: key }),
      ...(cert && { certChain: cert }),
    }
  }
  if (user && passwordFile) {
    const password = (await file('passwordFile', passwordFile)).toString('utf8').replace(/\r?\n$/, '')
    if (password === '')
      throw new CoordinationError(`coordination.passwordFile (${passwordFile}) is empty`, {
        hint: `write the etcd password of "${user}" in it, on one line`,
      })
    options.auth = {
      username: user,
      password,
      callOptions: () => ({ deadline: new Date(Date.now() + loginTimeoutMs) }),
    }
  }
  return options
}

async function file(field: string, path: string): Promise<Buffer> {
  try {
    return await readFile(path)
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    const why =
      code === 'ENOENT' ? 'does not exist' : code === 'EACCES' ? 'is not readable by the agent' : code
    throw new CoordinationError(`coordination.${field} (${path}) ${why}`, {
      hint: `fix the path in coordination.${field}, or the file's owner and mode`,
      cause: error,
    })
  }
}
