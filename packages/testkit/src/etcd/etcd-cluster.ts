import { type ChildProcess, execFile, spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { mkdtemp, rm, statfs } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { freePort } from '../free-port.js'
import { getJson, postJson } from './member-http.js'

/**
 * Real etcd clusters for the coordination tests: members of Debian's etcd 3.4 (`/usr/bin/etcd`) on
 * loopback, on free ports (or each on its address in a network namespace, `placement`), in fresh
 * data folders (on /dev/shm when it has room: an fsync on a busy
 * disk would stall raft's heartbeats and make elections the tests did not ask for). Short raft
 * timings (50 ms heartbeat, 500 ms election) keep the tests quick; etcd's least lease is then 1 s.
 * `close()` kills every member and removes every folder; the process's exit kills them too, and
 * members run under `setpriv --pdeathsig KILL`, so even a test worker killed outright (a timeout,
 * SIGKILL) leaves no etcd behind.
 */

export const ETCD = '/usr/bin/etcd'
export const ETCDCTL = '/usr/bin/etcdctl'
const SETPRIV = '/usr/bin/setpriv'
/** etcd preallocates a 64 MB WAL segment per member; the rest is the database and slack. */
const BYTES_PER_MEMBER = 100 * 1024 * 1024
/** Under the tests' hook timeout (30 s), so that a cluster that does not come up says why, with its log. */
const HEALTHY_TIMEOUT_MS = 20_000

/** undefined when the tests can run; else why they are skipped. On CI a missing etcd is a failure. */
export function etcdSkipReason(ci = process.env.CI === 'true'): string | undefined {
  if (existsSync(ETCD) && existsSync(ETCDCTL)) return undefined
  const reason = `${ETCD} or ${ETCDCTL} is missing (apt-get install etcd-server etcd-client)`
  if (ci) throw new Error(`etcd tests cannot run on CI: ${reason}`)
  return reason
}

export interface EtcdClusterOptions {
  /** Members (default 3). */
  readonly size?: number
  readonly heartbeatMs?: number
  readonly electionMs?: number
  /** Serve clients over TLS with this certificate and key (files); peers stay on plain http. */
  readonly tls?: { readonly certFile: string; readonly keyFile: string }
  /** More etcd flags for every member, e.g. `--auth-token-ttl=1`. */
  readonly extraArgs?: readonly string[]
  /**
   * Where each member runs (one per member): inside network namespace `ns`, on its address `ip`
   * (etcd's ports 2379 and 2380). This process cannot reach them there: health, status and
   * etcdctl go through `ip netns exec`. Default: loopback here, on free ports.
   */
  readonly placement?: readonly { readonly ns: string; readonly ip: string }[]
}

export interface EtcdMember {
  readonly name: string
  readonly clientUrl: string
  readonly peerUrl: string
  readonly dataDir: string
  /** Whether its process runs (started and not stopped or killed). */
  readonly running: boolean
  /** Its process id while it runs. */
  readonly pid: number | undefined
}

export interface EtcdCluster {
  /** The members' client URLs, in member order. */
  readonly endpoints: readonly string[]
  readonly members: readonly EtcdMember[]
  /** SIGKILL: no goodbye, no leadership transfer. Waits until the process is gone. */
  kill(index: number): Promise<void>
  /** SIGTERM: etcd hands leadership over first. Waits until the process is gone. */
  stop(index: number): Promise<void>
  /** Starts a stopped or killed member again on its data folder and ports; waits until it serves. */
  start(index: number): Promise<void>
  /**
   * SIGSTOP: a frozen member (a paused VM, a blackholed host). Its connections stay open and its
   * kernel still accepts new ones, but it answers nothing, not even with an error.
   */
  pause(index: number): void
  /** SIGCONT: the paused member goes on where it was. */
  resume(index: number): void
  /** The index of the member that leads now (waits for a leader). */
  leader(timeoutMs?: number): Promise<number>
  /** Waits until every running member says it is healthy (it has a leader). */
  healthy(timeoutMs?: number): Promise<void>
  /** Runs etcdctl against the running members, e.g. `['user', 'add', 'root:pw']`. */
  etcdctl(args: readonly string[], opts?: { readonly user?: string }): Promise<string>
  /** The last lines a member wrote to stderr, for a failure message. */
  log(index: number): string
  /** Kills every member and removes every data folder. Safe to call twice. */
  close(): Promise<void>
}

const LOG_LINES = 40
const run = promisify(execFile)

interface Slot {
  readonly name: string
  readonly ns: string | undefined
  readonly host: string
  readonly clientPort: number
  readonly peerPort: number
  readonly dataDir: string
  process: ChildProcess | undefined
  exited: Promise<void> | undefined
  paused: boolean
  readonly log: string[]
}

/** Every member of every cluster of this process, killed on exit if a test did not close its cluster. */
const everyProcess = new Set<ChildProcess>()
let exitHookSet = false

function killAllOnExit(): void {
  if (exitHookSet) return
  exitHookSet = true
  process.once('exit', () => {
    for (const child of everyProcess) child.kill('SIGKILL')
  })
}

/** Starts a cluster and waits until every member is healthy. */
export async function startEtcdCluster(options: EtcdClusterOptions = {}): Promise<EtcdCluster> {
  const { placement } = options
  const size = placement?.length ?? options.size ?? 3
  const heartbeatMs = options.heartbeatMs ?? 50
  const electionMs = options.electionMs ?? 500
  const scheme = options.tls ? 'https' : 'http'
  const root = await mkdtemp(join(await dataParent(size), 'ipfo-etcd-'))
  const slots: Slot[] = []
  let closed = false
  try {
    for (let i = 0; i < size; i++) {
      const place = placement?.[i]
      const [clientPort, peerPort] = place ? [2379, 2380] : [await freePort(), await freePort()]
      slots.push({
        name: `m${i}`,
        ns: place?.ns,
        host: place?.ip ?? '127.0.0.1',
        clientPort,
        peerPort,
        dataDir: join(root, `m${i}`),
        process: undefined,
        exited: undefined,
        paused: false,
        log: [],
      })
    }
  } catch (error) {
    await rm(root, { recursive: true, force: true })
    throw error
  }
  const peerUrl = (s: Slot) => `http://${s.host}:${s.peerPort}`
  const clientUrl = (s: Slot) => `${scheme}://${s.host}:${s.clientPort}`
  /** etcdctl where the member runs (its namespace), `ETCDCTL_API=3`; rejects on a failure. */
  const etcdctlIn = async (ns: string | undefined, args: readonly string[], timeout = 10_000) => {
    const [command, argv] = ns ? ['ip', ['netns', 'exec', ns, ETCDCTL, ...args]] : [ETCDCTL, [...args]]
    const { stdout } = await run(command, argv, { env: { ...process.env, ETCDCTL_API: '3' }, timeout })
    return stdout
  }
  const tlsArgs = options.tls ? [`--cacert=${options.tls.certFile}`] : []
  /** Whether the member says it is healthy (it has a leader). */
  const isHealthy = async (s: Slot): Promise<boolean> => {
    if (s.ns === undefined) {
      const health = await getJson(`${clientUrl(s)}/health`, options.tls?.certFile).catch(() => undefined)
      return (health as { health?: string } | undefined)?.health === 'true'
    }
    return etcdctlIn(
      s.ns,
      [`--endpoints=${clientUrl(s)}`, ...tlsArgs, '--command-timeout=1s', 'endpoint', 'health'],
      3_000,
    ).then(
      () => true,
      () => false,
    )
  }
  /** Whether the member leads now. */
  const isLeader = async (s: Slot): Promise<boolean> => {
    if (s.ns === undefined) {
      const status = (await postJson(`${clientUrl(s)}/v3/maintenance/status`, options.tls?.certFile).catch(
        () => undefined,
      )) as { header?: { member_id?: string }; leader?: string } | undefined
      return Boolean(status?.leader && status.leader !== '0' && status.header?.member_id === status.leader)
    }
    // etcdctl's JSON has the ids as numbers past 2^53: compared as the digits they are written in.
    const out = await etcdctlIn(
      s.ns,
      [`--endpoints=${clientUrl(s)}`, ...tlsArgs, '--command-timeout=1s', '-w', 'json', 'endpoint', 'status'],
      3_000,
    ).catch(() => '')
    const member = /"member_id":(\d+)/.exec(out)?.[1]
    const leader = /"leader":(\d+)/.exec(out)?.[1]
    return member !== undefined && leader !== undefined && leader !== '0' && member === leader
  }
  const initialCluster = slots.map((s) => `${s.name}=${peerUrl(s)}`).join(',')
  const token = `ipfo-test-${process.pid}-${root.slice(-6)}`

  const argsOf = (s: Slot) => [
    `--name=${s.name}`,
    `--data-dir=${s.dataDir}`,
    `--listen-client-urls=${clientUrl(s)}`,
    `--advertise-client-urls=${clientUrl(s)}`,
    `--listen-peer-urls=${peerUrl(s)}`,
    `--initial-advertise-peer-urls=${peerUrl(s)}`,
    `--initial-cluster=${initialCluster}`,
    `--initial-cluster-token=${token}`,
    '--initial-cluster-state=new',
    `--heartbeat-interval=${heartbeatMs}`,
    `--election-timeout=${electionMs}`,
    '--logger=zap',
    '--log-outputs=stderr',
    '--log-level=warn',
    // No v2 API, no metrics listener, no surprises on the host.
    '--enable-v2=false',
    ...(options.tls ? [`--cert-file=${options.tls.certFile}`, `--key-file=${options.tls.keyFile}`] : []),
    ...(options.extraArgs ?? []),
  ]

  const launch = (s: Slot) => {
    // setpriv execs etcd (same pid), as `ip netns exec` does: signals sent to the child reach etcd itself.
    const member = existsSync(SETPRIV) ? [SETPRIV, '--pdeathsig', 'KILL', '--', ETCD] : [ETCD]
    const [command, ...args] = [...(s.ns ? ['ip', 'netns', 'exec', s.ns] : []), ...member, ...argsOf(s)]
    const child = spawn(command!, args, { stdio: ['ignore', 'ignore', 'pipe'] })
    s.paused = false
    everyProcess.add(child)
    killAllOnExit()
    s.process = child
    child.stderr?.setEncoding('utf8')
    child.stderr?.on('data', (chunk: string) => {
      s.log.push(...chunk.split('\n').filter((l) => l !== ''))
      s.log.splice(0, Math.max(0, s.log.length - LOG_LINES))
    })
    s.exited = new Promise<void>((resolve) => {
      child.once('exit', () => {
        everyProcess.delete(child)
        if (s.process === child) s.process = undefined
        resolve()
      })
    })
  }

  const slot = (index: number) => {
    const s = slots[index]
    if (!s) throw new Error(`no member ${index}; the cluster has ${slots.length}`)
    return s
  }

  const end = async (index: number, signal: NodeJS.Signals) => {
    const s = slot(index)
    if (!s.process) return
    s.process.kill(signal)
    // A stopped process acts on SIGTERM only once it runs again (SIGKILL needs no help).
    if (s.paused) s.process.kill('SIGCONT')
    s.paused = false
    await s.exited
  }

  const healthy = async (timeoutMs = HEALTHY_TIMEOUT_MS) => {
    const deadline = Date.now() + timeoutMs
    for (const s of slots) {
      for (;;) {
        if (!s.process || s.paused) break
        if (await isHealthy(s)) break
        if (Date.now() > deadline)
          throw new Error(
            `etcd member ${s.name} (${clientUrl(s)}) is not healthy after ${timeoutMs} ms:\n${s.log.join('\n')}`,
          )
        await sleep(50)
      }
    }
  }

  const cluster: EtcdCluster = {
    endpoints: slots.map(clientUrl),
    get members() {
      return slots.map((s) => ({
        name: s.name,
        clientUrl: clientUrl(s),
        peerUrl: peerUrl(s),
        dataDir: s.dataDir,
        running: s.process !== undefined,
        pid: s.process?.pid,
      }))
    },
    kill: (index) => end(index, 'SIGKILL'),
    stop: (index) => end(index, 'SIGTERM'),
    async start(index) {
      const s = slot(index)
      if (s.process) return
      launch(s)
      await healthy()
    },
    pause(index) {
      const s = slot(index)
      if (!s.process || s.paused) return
      s.process.kill('SIGSTOP')
      s.paused = true
    },
    resume(index) {
      const s = slot(index)
      if (!s.process || !s.paused) return
      s.process.kill('SIGCONT')
      s.paused = false
    },
    async leader(timeoutMs = HEALTHY_TIMEOUT_MS) {
      const deadline = Date.now() + timeoutMs
      for (;;) {
        for (const [i, s] of slots.entries()) {
          if (s.process && !s.paused && (await isLeader(s))) return i
        }
        if (Date.now() > deadline) throw new Error(`no etcd member leads after ${timeoutMs} ms`)
        await sleep(50)
      }
    },
    healthy,
    async etcdctl(args, opts = {}) {
      const running = slots.filter((s) => s.process && !s.paused)
      const user = opts.user ? [`--user=${opts.user}`] : []
      return etcdctlIn(running[0]?.ns, [
        `--endpoints=${running.map(clientUrl).join(',')}`,
        ...tlsArgs,
        ...user,
        ...args,
      ])
    },
    log: (index) => slot(index).log.join('\n'),
    async close() {
      if (closed) return
      closed = true
      await Promise.all(slots.map((_, i) => end(i, 'SIGKILL')))
      await rm(root, { recursive: true, force: true })
    },
  }

  try {
    for (const s of slots) launch(s)
    await healthy()
  } catch (error) {
    await cluster.close()
    throw error
  }
  return cluster
}

/**
 * /dev/shm when it has room for the members (Docker gives it 64 MB, less than one member's WAL),
 * else the temp folder.
 */
export async function dataParent(size: number, roomIn = freeBytes): Promise<string> {
  return (await roomIn('/dev/shm')) >= size * BYTES_PER_MEMBER ? '/dev/shm' : tmpdir()
}

function freeBytes(path: string): Promise<number> {
  return statfs(path).then(
    (fs) => fs.bavail * fs.bsize,
    () => 0,
  )
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))
