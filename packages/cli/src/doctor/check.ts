/** A verdict of `ipfo doctor`: the same shape as every ipfo check. */
export { type CheckResult, fail, pass, warn } from '@ipfo/core'
