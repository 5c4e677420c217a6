import { readFile } from 'node:fs/promises'
import { rootCertificates } from 'node:tls'
import type { Etcd3, IOptions } from 'etcd3'
import type { EtcdCoordinationConfig } from '../../config/coordination-schema.js'
import { CoordinationError } from '../../model/errors.js'

/**
 * The etcd clients of one coordinator: one per member, so that every call knows which member
 * answered or failed (and no hidden retry or circuit breaker of the library stretches a renewal past
 * its deadline), and one over all members for watches, whose streams the library moves to another
 * member and resumes where they were when one goes away.
 */
export interface EtcdClients {
  readonly member: (endpoint: string) => Etcd3
  readonly pooled: Etcd3
  close(): void
}

/** Between two tries of a broken watch stream: short, a taker waits on it. */
const WATCH_RETRY_MS = 250

/**
 * Reads the TLS and password files and builds the clients. etcd3 (with gRPC and its protocol files)
 * is loaded here, not when the module is imported: the CLI's start-up must not pay for it.
 */
export type EtcdConnectConfig = Pick<EtcdCoordinationConfig, 'endpoints' | 'tls' | 'user' | 'passwordFile'>

export async function connectEtcd(config: EtcdConnectConfig): Promise<EtcdClients> {
  const [{ Etcd3 }, { ConstantBackoff, noop }] = await Promise.all([import('etcd3'), import('cockatiel')])
  const shared = await sharedOptions(config)
  const members = new Map(
    config.endpoints.map((endpoint) => [
      endpoint,
      new Etcd3({ ...shared, hosts: endpoint, faultHandling: { host: () => noop, global: noop } }),
    ]),
  )
  const pooled = new Etcd3({
    ...shared,
    hosts: [...config.endpoints],
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
    pooled,
    close() {
      for (const client of members.values()) client.close()
      pooled.close()
    },
  }
}

async function sharedOptions(config: EtcdConnectConfig): Promise<Omit<IOptions, 'hosts'>> {
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
    options.auth = { username: user, password }
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
