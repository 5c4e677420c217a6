/** One verdict of `ipfo afp check`: the same shape as every ipfo check (`ipfo doctor` too). */
export { type CheckResult, fail, pass, warn } from '@ipfo/core'
