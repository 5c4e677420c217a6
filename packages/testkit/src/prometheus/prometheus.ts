import { type ChildProcess, spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { freePort } from '../free-port.js'
import { request } from './prometheus-http.js'

/**
 * A real Prometheus for the tests: Debian's 2.42 (`/usr/bin/prometheus`, package `prometheus`) with
 * a generated config, a fresh TSDB folder, listening on loopback here (a free port) or inside a
 * network namespace (`netns`, on 127.0.0.1:9090 there unless `listen` says otherwise). Scrapes and
 * rule evaluations as short as the test asks (250 ms works). `stop()` kills it and removes the
 * folder; the process's exit kills it too, and it runs under `setpriv --pdeathsig KILL`, so a test
 * worker killed outright leaves no Prometheus behind.
 */

export const PROMETHEUS = '/usr/bin/prometheus'
/** In the same Debian package: `promtool check rules`, `promtool test rules`. */
export const PROMTOOL = '/usr/bin/promtool'
const SETPRIV = '/usr/bin/setpriv'
/** Under the tests' hook timeout (30 s), so a Prometheus that does not come up says why, with its log. */
const READY_TIMEOUT_MS = 20_000
const LOG_LINES = 40

/** undefined when the tests can run; else why they are skipped. On CI a missing Prometheus is a failure. */
export function prometheusSkipReason(ci = process.env.CI === 'true'): string | undefined {
  if (existsSync(PROMETHEUS) && existsSync(PROMTOOL)) return undefined
  const reason = `${PROMETHEUS} or ${PROMTOOL} is missing (apt-get install --no-install-recommends prometheus)`
  if (ci) throw new Error(`Prometheus tests cannot run on CI: ${reason}`)
  return reason
}

export interface ScrapeJob {
  /** Becomes the `job` label. */
  readonly job: string
  /**
   * `host:port` of each target, as Prometheus (in its namespace) reaches them; with labels of its
   * own, e.g. `{ address: '10.0.0.1:9694', labels: { instance: 'alpha' } }`.
   */
  readonly targets: readonly (
    | string
    | { readonly address: string; readonly labels: Readonly<Record<string, string>> }
  )[]
  /** Default `/metrics`. */
  readonly metricsPath?: string
  /** Labels added to every series of these targets, e.g. `{ node: 'a' }`. */
  readonly labels?: Readonly<Record<string, string>>
}

export interface PrometheusOptions {
  /** Run inside this network namespace (its loopback must be up). Default: here, on loopback. */
  readonly netns?: string
  /** `host:port` to listen on. Default: 127.0.0.1:9090 in `netns`, else 127.0.0.1 on a free port. */
  readonly listen?: string
  readonly scrapeTargets: readonly ScrapeJob[]
  /** Rule files (paths), evaluated every `evaluationInterval`. */
  readonly ruleFiles?: readonly string[]
  /** A Prometheus duration: `250ms`, `1s`. The scrape timeout is the same. */
  readonly scrapeInterval: string
  readonly evaluationInterval: string
}

/** One series of an instant vector. */
export interface Sample {
  readonly metric: Readonly<Record<string, string>>
  /** The value as Prometheus writes it (`"1"`, `"NaN"`); see `Number(...)`. */
  readonly value: string
}

export type QueryData =
  | {
      readonly resultType: 'vector'
      readonly result: readonly { metric: Record<string, string>; value: [number, string] }[]
    }
  | { readonly resultType: 'scalar' | 'string'; readonly result: [number, string] }
  | { readonly resultType: 'matrix'; readonly result: readonly RangeSeries[] }

export interface RangeSeries {
  readonly metric: Record<string, string>
  readonly values: readonly [number, string][]
}

export interface Alert {
  readonly labels: Record<string, string>
  readonly annotations: Record<string, string>
  readonly state: 'inactive' | 'pending' | 'firing'
  readonly value: string
}

export interface Target {
  readonly labels: Record<string, string>
  readonly scrapeUrl: string
  readonly health: 'up' | 'down' | 'unknown'
  readonly lastError: string
}

export interface Prometheus {
  /** Its base URL as seen where it runs (inside `netns` when set). */
  readonly url: string
  /** Its folder (config file and TSDB), removed by `stop()`. */
  readonly dir: string
  /** An instant query (`/api/v1/query`); rejects with Prometheus's own error for a bad expression. */
  query(promql: string): Promise<QueryData>
  /** An instant query's vector, flattened: each series' labels and value. Rejects if not a vector. */
  vector(promql: string): Promise<Sample[]>
  /** `/api/v1/query_range`, times in seconds since the epoch, step in seconds. */
  queryRange(promql: string, start: number, end: number, step: number): Promise<RangeSeries[]>
  /** The alerts of its rules that are pending or firing (`/api/v1/alerts`). */
  alerts(): Promise<Alert[]>
  /** Its active scrape targets and their health (`/api/v1/targets`). */
  targets(): Promise<Target[]>
  /** The last lines it wrote to stderr, for a failure message. */
  log(): string
  /** Kills it and removes its folder (config and TSDB). Safe to call twice. */
  stop(): Promise<void>
}

/** What Prometheus's API said when it refused a request (`errorType`: `bad_data` for bad PromQL). */
export class PrometheusApiError extends Error {
  constructor(
    readonly path: string,
    readonly errorType: string,
    readonly detail: string,
  ) {
    super(`Prometheus ${path}: ${errorType}: ${detail}`)
    this.name = 'PrometheusApiError'
  }
}

const everyProcess = new Set<ChildProcess>()
let exitHookSet = false

/** Starts Prometheus and waits until `/-/ready` says it serves. */
export async function startPrometheus(options: PrometheusOptions): Promise<Prometheus> {
  const { netns } = options
  const listen = options.listen ?? (netns ? '127.0.0.1:9090' : `127.0.0.1:${await freePort()}`)
  const url = `http://${listen}`
  const dir = await mkdtemp(join(tmpdir(), 'ipfo-prometheus-'))
  const log: string[] = []
  let child: ChildProcess | undefined
  let exited: Promise<void> = Promise.resolve()
  let stopped = false

  const stop = async () => {
    if (stopped) return
    stopped = true
    child?.kill('SIGKILL')
    await exited
    await rm(dir, { recursive: true, force: true })
  }

  const api = async <T>(path: string, form?: Record<string, string>): Promise<T> => {
    const answer = await request(`${url}${path}`, {
      ...(netns ? { ns: netns } : {}),
      ...(form ? { form } : {}),
    })
    let json: { status?: string; data?: T; errorType?: string; error?: string }
    try {
      json = JSON.parse(answer.body)
    } catch {
      throw new Error(
        `Prometheus ${path} answered HTTP ${answer.status}, not JSON: ${answer.body.slice(0, 200)}`,
      )
    }
    if (json.status !== 'success') {
      throw new PrometheusApiError(path, json.errorType ?? `HTTP ${answer.status}`, json.error ?? answer.body)
    }
    return json.data as T
  }

  try {
    const configFile = join(dir, 'prometheus.yml')
    await writeFile(configFile, JSON.stringify(configOf(options), null, 2))
    const args = [
      `--config.file=${configFile}`,
      `--storage.tsdb.path=${join(dir, 'data')}`,
      `--web.listen-address=${listen}`,
      '--log.level=warn',
    ]
    const daemon = existsSync(SETPRIV) ? [SETPRIV, '--pdeathsig', 'KILL', '--', PROMETHEUS] : [PROMETHEUS]
    const [command, ...argv] = [...(netns ? ['ip', 'netns', 'exec', netns] : []), ...daemon, ...args]
    const proc = spawn(command!, argv, { stdio: ['ignore', 'ignore', 'pipe'] })
    child = proc
    everyProcess.add(proc)
    killAllOnExit()
    proc.stderr?.setEncoding('utf8')
    proc.stderr?.on('data', (chunk: string) => {
      log.push(...chunk.split('\n').filter((l) => l !== ''))
      log.splice(0, Math.max(0, log.length - LOG_LINES))
    })
    let gone: string | undefined
    exited = new Promise<void>((done) => {
      proc.once('error', (error) => {
        gone = error.message
        done()
      })
      proc.once('exit', (code, signal) => {
        gone = `exit ${code ?? signal}`
        everyProcess.delete(proc)
        done()
      })
    })
    const deadline = Date.now() + READY_TIMEOUT_MS
    for (;;) {
      const ready = await request(`${url}/-/ready`, netns ? { ns: netns } : {}).catch(() => undefined)
      if (ready?.status === 200) break
      if (gone !== undefined || Date.now() > deadline) {
        const why = gone !== undefined ? `it stopped (${gone})` : `not ready after ${READY_TIMEOUT_MS} ms`
        throw new Error(`Prometheus on ${url}${netns ? ` in ${netns}` : ''}: ${why}:\n${log.join('\n')}`)
      }
      await sleep(100)
    }
  } catch (error) {
    await stop()
    throw error
  }

  return {
    url,
    dir,
    query: (promql) => api<QueryData>('/api/v1/query', { query: promql }),
    async vector(promql) {
      const data = await api<QueryData>('/api/v1/query', { query: promql })
      if (data.resultType !== 'vector') throw new Error(`${promql} gives a ${data.resultType}, not a vector`)
      return data.result.map((s) => ({ metric: s.metric, value: s.value[1] }))
    },
    queryRange: (promql, start, end, step) =>
      api<{ result: RangeSeries[] }>('/api/v1/query_range', {
        query: promql,
        start: String(start),
        end: String(end),
        step: String(step),
      }).then((data) => data.result),
    alerts: () => api<{ alerts: Alert[] }>('/api/v1/alerts').then((data) => data.alerts),
    targets: () => api<{ activeTargets: Target[] }>('/api/v1/targets').then((data) => data.activeTargets),
    log: () => log.join('\n'),
    stop,
  }
}

/** The config file (JSON is YAML): no Alertmanager; alerts are read from the API. */
function configOf(options: PrometheusOptions): unknown {
  return {
    global: {
      scrape_interval: options.scrapeInterval,
      // Prometheus refuses a timeout longer than the interval; its default is 10 s.
      scrape_timeout: options.scrapeInterval,
      evaluation_interval: options.evaluationInterval,
    },
    rule_files: (options.ruleFiles ?? []).map((file) => resolve(file)),
    scrape_configs: options.scrapeTargets.map((job) => ({
      job_name: job.job,
      metrics_path: job.metricsPath ?? '/metrics',
      static_configs: job.targets.map((target) =>
        typeof target === 'string'
          ? { targets: [target], labels: job.labels ?? {} }
          : { targets: [target.address], labels: { ...job.labels, ...target.labels } },
      ),
    })),
  }
}

function killAllOnExit(): void {
  if (exitHookSet) return
  exitHookSet = true
  process.once('exit', () => {
    for (const child of everyProcess) child.kill('SIGKILL')
  })
}

const sleep = (ms: number) => new Promise((done) => setTimeout(done, ms))
