/**
 * `@ipfo/core/guard`: the guard program (`GUARD_PERL`, which the agent starts with perl) and what its
 * report runs once it has acted (the CLI's guard report: read the report, log it, leave the record).
 * Kept apart from `@ipfo/core/agent` so that the report loads only this.
 */
export { GUARD_PERL } from './guard-perl.js'
export { type GuardReport, readGuardReport, reportGuardAct } from './report.js'
