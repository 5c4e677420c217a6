import { constants } from 'node:fs'
import { access, stat } from 'node:fs/promises'
import type { ConfigIssue } from '../config/load.js'
import type { Config } from '../config/schema.js'

/**
 * What the config's checks name on disk, looked at before the agent starts (and by `config check`
 * and `doctor`): an exec check's program exists, is a file the agent can run, and cannot be changed
 * by others (the agent runs it as root, every interval); an https check's CA file can be read. A
 * check that could never run would fail at every interval and move addresses for nothing.
 */
export async function checkFilesIssues(config: Config): Promise<Omit<ConfigIssue, 'line'>[]> {
  const issues: Omit<ConfigIssue, 'line'>[] = []
  for (const [name, check] of Object.entries(config.checks)) {
    if (check.kind === 'exec') {
      const problem = await programProblem(check.argv[0] as string)
      if (problem) issues.push({ path: `checks.${name}.argv[0]`, message: problem })
    }
    if (check.kind === 'https' && check.ca !== undefined) {
      const problem = await access(check.ca, constants.R_OK).then(
        () => undefined,
        (error: NodeJS.ErrnoException) =>
          `the CA file ${check.ca} cannot be read (${error.code}): write the path of a PEM file of the certificates to trust`,
      )
      if (problem) issues.push({ path: `checks.${name}.ca`, message: problem })
    }
  }
  return issues
}

async function programProblem(program: string): Promise<string | undefined> {
  const s = await stat(program).catch((error: NodeJS.ErrnoException) => error)
  if (s instanceof Error) {
    return s.code === 'ENOENT'
      ? `${program} does not exist: install it, or write the full path of the check program`
      : `${program} cannot be read (${s.code}): run the agent as root, or fix the path`
  }
  if (!s.isFile()) return `${program} is not a file: name the check program itself`
  if ((s.mode & 0o111) === 0) return `${program} is not executable: chmod +x ${program}`
  if (s.mode & 0o022) {
    const mode = (s.mode & 0o777).toString(8).padStart(4, '0')
    return `${program} has mode ${mode}: others can change the program the agent runs as root; chmod go-w ${program}`
  }
  return undefined
}
