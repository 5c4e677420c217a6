export { type DurationString, type DurationUnit, formatDuration, parseDuration } from './config/duration.js'
export { AddressError, ConfigError, ControlError, IpfoError } from './errors.js'
