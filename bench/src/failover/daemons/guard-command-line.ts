/**
 * ipfo's guard, by its command line (a perl program that names itself): node death freezes it with
 * its agent, and bench:idle counts it as the guard.
 */
export const GUARD_COMMAND_LINE = /^ipfo guard\b/
