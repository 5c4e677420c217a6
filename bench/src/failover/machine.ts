import { execFile } from 'node:child_process'
import { readFile } from 'node:fs/promises'
import { createRequire } from 'node:module'
import { cpus, loadavg, release } from 'node:os'
import { promisify } from 'node:util'
import type { Machine } from './report/report.js'

const run = promisify(execFile)

export async function describeMachine(): Promise<Machine> {
  const osRelease = await readFile('/etc/os-release', 'utf8').catch(() => '')
  return {
    cpu: cpus()[0]?.model ?? 'unknown',
    cores: cpus().length,
    kernel: release(),
    os: /^PRETTY_NAME="?([^"\n]*)"?/m.exec(osRelease)?.[1] ?? 'unknown',
    node: process.version,
    loadAverage: { start: loadavg()[0]!, end: Number.NaN },
  }
}

/** The first line of a tool's version output that matches, or "unknown". */
async function versionOf(command: string, args: readonly string[], pattern: RegExp): Promise<string> {
  try {
    const { stdout, stderr } = await run(command, args).catch((e: { stdout?: string; stderr?: string }) => ({
      stdout: e.stdout ?? '',
      stderr: e.stderr ?? '',
    }))
    return pattern.exec(`${stdout}\n${stderr}`)?.[1] ?? 'unknown'
  } catch {
    return 'unknown'
  }
}

export async function toolVersions(): Promise<Record<string, string>> {
  const cli = createRequire(import.meta.url)('@ipfo/cli/package.json') as { version: string }
  return {
    ipfo: cli.version,
    keepalived: await versionOf('keepalived', ['--version'], /Keepalived v(\S+)/),
    ucarp: await versionOf('ucarp', ['--help'], /ucarp (\S+)/),
    etcd: await versionOf('etcd', ['--version'], /etcd Version: (\S+)/),
    'stress-ng': await versionOf('stress-ng', ['--version'], /version (\S+)/),
    iproute2: await versionOf('ip', ['-V'], /iproute2-([\w.]*\w)/),
  }
}
