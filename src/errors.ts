/**
 * Typed errors: every failure the job reports has a stable code, a message for
 * people, and whether retrying the same call could succeed.
 */
export type ErrorCode =
  | 'CONFIG_INVALID'
  | 'CHECKPOINT_MISMATCH'
  | 'CHECKPOINT_CORRUPT'
  | 'CHECKPOINT_BATCH_UNKNOWN'
  | 'CHECKPOINT_LOCKED'
  | 'DATA_LOSS'
  | 'COLLECTION_LOST'
  | 'STORAGE_FULL'
  | 'STORAGE_FAILED'
  | 'SOURCE_FAILED'
  | 'KAFKA_FAILED'
  | 'EMBEDDER_UNAVAILABLE'
  | 'EMBEDDER_REJECTED'
  | 'EMBEDDER_BAD_RESPONSE'
  | 'STORE_UNAVAILABLE'
  | 'STORE_REJECTED'
  | 'COLLECTION_MISMATCH'
  | 'DELIVERY_FAILED'
  | 'USAGE'
  | 'ABORTED'

/** Exit codes of the CLI, by error code: configuration and usage problems exit 2. */
export const EXIT_CODES: Partial<Record<ErrorCode, number>> = {
  CONFIG_INVALID: 2,
  USAGE: 2,
  CHECKPOINT_MISMATCH: 3,
  CHECKPOINT_CORRUPT: 3,
  COLLECTION_MISMATCH: 3,
  COLLECTION_LOST: 3,
  DATA_LOSS: 3,
  CHECKPOINT_LOCKED: 4,
}

export class LogstreamError extends Error {
  readonly code: ErrorCode
  /** True when the same call may succeed later (service down, timeout, 5xx, 429). */
  readonly retryable: boolean
  /** Extra structured facts for the log line (field names, status codes). */
  readonly details: Readonly<Record<string, unknown>>

  constructor(
    code: ErrorCode,
    message: string,
    opts: { retryable?: boolean; cause?: unknown; details?: Record<string, unknown> } = {},
  ) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause })
    this.name = 'LogstreamError'
    this.code = code
    this.retryable = opts.retryable ?? false
    this.details = opts.details ?? {}
  }
}

/** One problem of a configuration; all are reported together. */
export interface ConfigIssue {
  readonly field: string
  readonly message: string
}

export class ConfigError extends LogstreamError {
  readonly issues: readonly ConfigIssue[]
  constructor(issues: readonly ConfigIssue[]) {
    super('CONFIG_INVALID', `invalid configuration:\n${issues.map((i) => `  - ${i.field}: ${i.message}`).join('\n')}`, {
      details: { fields: issues.map((i) => i.field) },
    })
    this.name = 'ConfigError'
    this.issues = issues
  }
}

/** Errors of the lower layers (operators, checkpoints) carry the same `code` and `retryable` without importing this file. */
function codeOf(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code
  return typeof code === 'string' ? code : undefined
}

export function exitCodeFor(err: unknown): number {
  const code = codeOf(err)
  return code !== undefined && code in EXIT_CODES ? EXIT_CODES[code as ErrorCode]! : 1
}
