import { fork } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import { relative } from 'node:path'
import { fileURLToPath } from 'node:url'
import { type BatchStats, type Found, minimise, runBatch } from './batch.js'
import { formatSchedule } from './format.js'
import { generate } from './generate.js'
import { type CliOptions, parseArgs, replayCommand, USAGE } from './options.js'
import { saveRegression } from './regressions.js'
import { runScenario } from './run-scenario.js'
import type { Schedule } from './schedule.js'

/**
 * `npm run sim -- [flags]`: runs seeded scenarios on the real engines in simulated time, shrinks
 * what breaks an invariant, prints the minimal schedule and how to replay it, and keeps it in
 * regressions/. The only file here that exits the process.
 */
const root = fileURLToPath(new URL('../../../../', import.meta.url))

async function main(): Promise<number> {
  const opts = parseArgs(process.argv.slice(2))
  if (opts.help) {
    console.log(USAGE)
    return 0
  }
  if (opts.replay !== undefined) return replay(opts)
  if (opts.worker !== undefined) return worker(opts)
  const started = performance.now()
  console.log(
    `sim: ${opts.scenarios} scenarios from seed ${opts.firstSeed} (${opts.mode ?? 'mixed'} timers${opts.bypassSchema ? ', claimTimeout past the schema' : ''}${opts.checks === undefined ? '' : opts.checks ? ', health checks in all' : ', no health checks'}${opts.nodes === undefined ? '' : `, nodes ${opts.nodes}`}), ${opts.jobs} job(s)`,
  )
  const stats =
    opts.jobs > 1 ? await parallel(opts) : await runBatch({ ...batchOf(opts), onFound: report(opts) })
  const seconds = (performance.now() - started) / 1000
  const cpuSeconds = stats.cpuMs / 1000
  console.log(
    `sim: ${stats.scenarios} scenarios, ${stats.found.length} violation(s), ${seconds.toFixed(1)} s wall (${(stats.scenarios / seconds).toFixed(1)} scenarios/s), ${cpuSeconds.toFixed(1)} s CPU (${(stats.scenarios / cpuSeconds).toFixed(1)} scenarios per CPU second; shrinking included); ${stats.events} events, ${(stats.simulatedMs / 3_600_000).toFixed(1)} simulated hours`,
  )
  const byInvariant = new Map<string, number[]>()
  for (const f of stats.found)
    byInvariant.set(f.violation.invariant, [...(byInvariant.get(f.violation.invariant) ?? []), f.seed])
  for (const [name, seeds] of byInvariant)
    console.log(`sim: ${name}: ${seeds.length} (seeds ${seeds.join(' ')})`)
  return stats.found.length > 0 ? 1 : 0
}

function batchOf(opts: CliOptions) {
  return {
    firstSeed: opts.firstSeed,
    scenarios: opts.scenarios,
    mode: opts.mode,
    maxSimMs: opts.maxSimMs,
    bypassSchema: opts.bypassSchema,
    checks: opts.checks,
    nodes: opts.nodes,
    shrink: opts.shrink,
    stopAfter: opts.stopAfter,
    onProgress: progress(opts.scenarios),
  }
}

function progress(total: number): (done: number) => void {
  let last = performance.now()
  return (done) => {
    if (performance.now() - last < 30_000) return
    last = performance.now()
    console.log(`sim: ${done}/${total} ...`)
  }
}

/** Prints a violation with its minimal schedule and replay commands, and saves it. */
function report(opts: CliOptions): (found: Found) => void {
  return (found) => {
    const v = found.minimalViolation
    console.log(
      `\nVIOLATION seed ${found.seed}: ${found.violation.invariant} at ${found.violation.at.toFixed(1)} ms: ${found.violation.message}`,
    )
    console.log(
      `minimal schedule (${found.original.faults.length} faults shrunk to ${found.minimal.faults.length}, ${found.shrinkRuns} shrink steps), ${v.invariant} at ${v.at.toFixed(1)} ms: ${v.message}`,
    )
    console.log(formatSchedule(found.minimal))
    console.log('last trace lines:')
    for (const line of found.traceTail) console.log(`  ${line}`)
    console.log(`replay the seed:     ${replayCommand(found.seed, opts)}`)
    if (opts.save) {
      const path = saveRegression({
        invariant: v.invariant,
        message: v.message,
        status: 'open',
        note: 'found by the simulator; not yet looked at',
        foundWith: replayCommand(found.seed, opts),
        schedule: found.minimal,
      })
      console.log(`replay the minimal:  npm run sim -- --replay ${relative(root, path)}`)
    }
  }
}

async function replay(opts: CliOptions): Promise<number> {
  const arg = opts.replay as string
  let schedule: Schedule
  if (existsSync(arg)) {
    const json = JSON.parse(readFileSync(arg, 'utf8')) as { schedule?: Schedule } & Schedule
    schedule = json.schedule ?? json
  } else schedule = generate(Number(arg), opts)
  console.log(formatSchedule(schedule))
  const result = await runScenario(schedule, {
    keepTrace: 0,
    echo: opts.quiet ? undefined : (l) => console.log(l),
  })
  console.log(
    `trace ${result.traceHash}, ${result.events} events; ${result.violation ? `VIOLATION ${result.violation.invariant} at ${result.violation.at.toFixed(1)} ms: ${result.violation.message}` : 'no violation'}`,
  )
  if (result.violation && opts.shrinkReplay && !existsSync(arg))
    report(opts)(await minimise(schedule.seed, schedule, result.violation, true))
  return result.violation ? 1 : 0
}

/** Splits the seeds over `jobs` child processes (each a worker of this CLI); violations come back as messages. */
async function parallel(opts: CliOptions): Promise<BatchStats> {
  const total: BatchStats = { scenarios: 0, events: 0, simulatedMs: 0, cpuMs: 0, found: [] }
  const file = fileURLToPath(import.meta.url)
  const print = report(opts)
  const tick = progress(opts.scenarios)
  await Promise.all(
    Array.from({ length: opts.jobs }, (_, k) => {
      const child = fork(file, [...process.argv.slice(2), '--worker', String(k)], { stdio: 'inherit' })
      return new Promise<void>((resolve, reject) => {
        child.on(
          'message',
          (
            m: { kind: 'found'; found: Found } | { kind: 'progress' } | { kind: 'done'; stats: BatchStats },
          ) => {
            if (m.kind === 'progress') tick(++total.scenarios)
            else if (m.kind === 'found') {
              total.found.push(m.found)
              print(m.found)
            } else {
              total.events += m.stats.events
              total.simulatedMs += m.stats.simulatedMs
              total.cpuMs += m.stats.cpuMs
            }
          },
        )
        child.on('exit', (code) =>
          code === 0 || code === 1 ? resolve() : reject(new Error(`worker ${k} exited ${code}`)),
        )
      })
    }),
  )
  return total
}

async function worker(opts: CliOptions): Promise<number> {
  const send = (m: unknown) => process.send?.(m)
  const stats = await runBatch({
    ...batchOf(opts),
    stride: opts.jobs,
    offset: opts.worker,
    onProgress: () => send({ kind: 'progress' }),
    onFound: (found) => send({ kind: 'found', found }),
  })
  send({ kind: 'done', stats: { ...stats, found: [] } })
  return 0
}

main().then(
  (code) => {
    process.exitCode = code
    if (process.send) process.disconnect?.()
  },
  (error: unknown) => {
    console.error(error)
    process.exitCode = 2
  },
)
