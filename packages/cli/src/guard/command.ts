import { fileURLToPath } from 'node:url'
import { GUARD_PERL } from '@ipfo/core/guard'

/** What the guard runs in its place once it has acted: the report, run by the same Node as the agent. */
const GUARD_REPORT = fileURLToPath(new URL('./report.js', import.meta.url))

/**
 * How the agent starts its guard: a small perl program (see `@ipfo/core/guard`), told which Node and
 * which report to run once it has acted.
 */
export const GUARD_COMMAND = {
  command: 'perl',
  args: ['-e', GUARD_PERL, '--', process.execPath, GUARD_REPORT],
  // The C locale: perl warns at every start about a LANG whose locale is not installed, and the
  // guard reads ip's and ifconfig's error messages in English. None of perl's own variables
  // (PERL5OPT, PERL5LIB, PERL_UNICODE, PERLIO, ...): they could load modules into it, add the
  // working folder to where it looks for them, or change how it writes.
  env: {
    LC_ALL: 'C',
    ...Object.fromEntries(
      Object.keys(process.env)
        .filter((name) => name.startsWith('PERL'))
        .map((name) => [name, null]),
    ),
  },
} as const
