/** A netatalk check's verdict: the same shape as every other ipfo check (`ipfo afp check`, `ipfo doctor`). */
export type { CheckResult as CheckItem } from '../check-result.js'
