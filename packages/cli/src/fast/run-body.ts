import { reportError } from '../everyday/report-error.js'

/** As oclif prints a command's return value under --json (its logJson, no theme). */
export const logJson = (value: unknown): void => {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`)
}

/**
 * A command's body run as an oclif command runs it: its result printed under --json, a throw
 * reported as IpfoCommand.catch reports it. Returns the exit code.
 */
export async function runBody(json: boolean, body: () => Promise<unknown>): Promise<number> {
  try {
    const result = await body()
    if (json && result) logJson(result)
    return 0
  } catch (error) {
    return reportError(error instanceof Error ? error : new Error(String(error)), {
      json,
      logJson,
      stderr: (text) => process.stderr.write(text),
    })
  }
}
