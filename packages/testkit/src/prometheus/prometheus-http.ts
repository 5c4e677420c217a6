import { execFile } from 'node:child_process'
import { promisify } from 'node:util'

const run = promisify(execFile)
const TIMEOUT_MS = 5_000

export interface HttpAnswer {
  readonly status: number
  readonly body: string
}

/**
 * One request to a daemon's HTTP API, from where it runs: from this process on loopback, or through
 * `ip netns exec <ns> curl` when it listens inside a namespace this process cannot reach (as the etcd
 * harness runs etcdctl there). A form is sent as a POST (`application/x-www-form-urlencoded`), which
 * Prometheus's query API takes as it takes a GET's parameters. Rejects only when nothing answered.
 */
export async function request(
  url: string,
  opts: { readonly ns?: string; readonly form?: Readonly<Record<string, string>> } = {},
): Promise<HttpAnswer> {
  const form = Object.entries(opts.form ?? {})
  if (opts.ns === undefined) {
    const res = await fetch(url, {
      method: form.length > 0 ? 'POST' : 'GET',
      ...(form.length > 0 ? { body: new URLSearchParams(form) } : {}),
      signal: AbortSignal.timeout(TIMEOUT_MS),
    })
    return { status: res.status, body: await res.text() }
  }
  const args = [
    'netns',
    'exec',
    opts.ns,
    'curl',
    '--silent',
    '--show-error',
    '--max-time',
    String(TIMEOUT_MS / 1000),
  ]
  for (const [key, value] of form) args.push('--data-urlencode', `${key}=${value}`)
  // The status code on a line of its own after the body: curl exits 0 for a 400, whose body says why.
  args.push('--write-out', '\n%{http_code}', url)
  const { stdout } = await run('ip', args, { timeout: TIMEOUT_MS + 2_000, maxBuffer: 64 * 1024 * 1024 })
  const cut = stdout.lastIndexOf('\n')
  return { status: Number(stdout.slice(cut + 1)), body: stdout.slice(0, cut) }
}
