import { pino } from 'pino'
import type { Logger, DestinationStream } from 'pino'

export type { Logger }

export interface LoggerInit {
  level?: string
  /** Extra destination (e.g. the node's log file); stdout is used when omitted. */
  destination?: DestinationStream
}

/** One logger per node; modules derive a child with their component name. */
export function createLogger(init: LoggerInit = {}): Logger {
  const level = init.level ?? 'info'
  return init.destination ? pino({ level, base: undefined }, init.destination) : pino({ level, base: undefined })
}

export function silentLogger(): Logger {
  return pino({ level: 'silent' })
}
