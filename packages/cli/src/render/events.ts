import type { IpfoEvent } from '@ipfo/core'
import { describeEvent, severityOf } from '@ipfo/core/describe-event'
import type { Style } from './style.js'

/** An event kind, padded to line up, coloured by how loud the event is. */
export function paintKind(event: IpfoEvent, style: Style, width = 20): string {
  const text = event.kind.padEnd(width)
  switch (severityOf(event)) {
    case 'error':
      return style.bold(style.red(text))
    case 'warn':
      return style.yellow(text)
    case 'debug':
      return style.dim(text)
    default:
      return event.kind === 'acquired' || event.kind === 'released' ? style.green(text) : text
  }
}

/** One event a line: the time (dimmed), the kind (coloured by severity) and what happened. */
export function renderEvent(event: IpfoEvent, style: Style): string {
  return `${style.dim(new Date(event.time).toISOString())}  ${paintKind(event, style)} ${describeEvent(event)}`
}
