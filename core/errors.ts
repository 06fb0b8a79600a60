/**
 * Every error logstream reports, in one family: a code from a fixed list, a
 * message for people, whether retrying the same call could succeed, and the
 * process exit code it leads to. This module sits at the bottom of the house:
 * it imports nothing, so `operators/`, `checkpoints/` and `src/` all use it.
 */

interface CodeSpec {
  /** Exit code of the CLI when this error ends a command. */
  readonly exit: number
  /** True when the same call may succeed later (a dependency down, a timeout, 5xx, 429). */
  readonly retryable: boolean
  /** HTTP status of a request refused with this code (the score service and the embedding server). */
  readonly http?: number
  readonly meaning: string
}

/** The fixed list of error codes; the README table is generated from it. */
export const ERROR_CODES = {
  CONFIG_INVALID: { exit: 2, retryable: false, meaning: 'invalid configuration: one line per field, naming what is allowed' },
  USAGE: { exit: 2, retryable: false, meaning: 'invalid command line: unknown option, stray argument, missing value' },
  CHECKPOINT_MISMATCH: { exit: 3, retryable: false, meaning: 'the checkpoint belongs to another job, source, store or dimension; nothing was changed' },
  CHECKPOINT_CORRUPT: { exit: 3, retryable: false, meaning: 'the checkpoint file fails its integrity check; nothing was changed' },
  COLLECTION_MISMATCH: { exit: 3, retryable: false, meaning: 'the collection exists with another size or distance, or holds vectors of another embedder; nothing was changed' },
  DIMENSION_MISMATCH: { exit: 3, retryable: false, meaning: "the embedder's vectors have another dimension than the configuration's; nothing was changed" },
  COLLECTION_LOST: { exit: 3, retryable: false, meaning: 'the collection the checkpoint was written against is missing or was created again; nothing was changed (run --rebuild)' },
  DATA_LOSS: { exit: 3, retryable: false, meaning: 'data the job can no longer read or keep: a checkpoint position outside its partition, or a store missing acknowledged points (--on-data-loss warn goes on)' },
  CHECKPOINT_LOCKED: { exit: 4, retryable: false, meaning: 'another instance of the job holds its checkpoint; the message names it' },
  STORAGE_FULL: { exit: 1, retryable: false, meaning: 'the disk of the embedded store is full; a restart resumes once there is space' },
  STORAGE_FAILED: { exit: 1, retryable: false, meaning: 'the embedded store failed to read or write its file (I/O error, read-only, corrupt)' },
  CHECKPOINT_BATCH_UNKNOWN: { exit: 1, retryable: false, meaning: 'a batch was committed that was never planned (a bug)' },
  KAFKA_FAILED: { exit: 1, retryable: true, meaning: 'Kafka could not be reached or refused a request' },
  DELIVERY_FAILED: { exit: 1, retryable: true, meaning: 'Kafka did not acknowledge a published message' },
  EMBEDDER_UNAVAILABLE: { exit: 1, retryable: true, meaning: 'the embedding service is down, slow, answering 5xx or rate-limiting; retried with backoff' },
  EMBEDDER_REJECTED: { exit: 1, retryable: false, meaning: 'the embedding service refused the request (4xx)' },
  EMBEDDER_BAD_RESPONSE: { exit: 1, retryable: false, meaning: 'the embedding service answered something that is not one finite vector per text' },
  STORE_UNAVAILABLE: { exit: 1, retryable: true, meaning: 'the vector store is down, slow or answering 5xx; retried with backoff' },
  STORE_REJECTED: { exit: 1, retryable: false, meaning: 'the vector store refused the request (4xx)' },
  ABORTED: { exit: 1, retryable: false, meaning: 'work was aborted by a stop (a second signal or the shutdown timeout)' },
  BAD_REQUEST: { exit: 1, retryable: false, http: 400, meaning: 'a service request is missing a field or has one out of range' },
  BAD_JSON: { exit: 1, retryable: false, http: 400, meaning: 'a service request body is not JSON' },
  BAD_LINE: { exit: 1, retryable: false, http: 400, meaning: 'a line sent to the score service is malformed' },
  TOO_LARGE: { exit: 1, retryable: false, http: 413, meaning: 'a service request body is larger than allowed' },
  TOO_MANY_LINES: { exit: 1, retryable: false, http: 413, meaning: 'a score request holds more lines than allowed' },
  TOO_MANY_TEXTS: { exit: 1, retryable: false, http: 413, meaning: 'an embedding request holds more texts than allowed' },
  UNSUPPORTED_MEDIA_TYPE: { exit: 1, retryable: false, http: 415, meaning: 'a service request is not JSON by its content type' },
  NOT_FOUND: { exit: 1, retryable: false, http: 404, meaning: 'no such path on the service' },
  METHOD_NOT_ALLOWED: { exit: 1, retryable: false, http: 405, meaning: 'the path takes another method' },
} as const satisfies Record<string, CodeSpec>

export type ErrorCode = keyof typeof ERROR_CODES

/** Codes a service answers a refused request with. */
export type HttpErrorCode = { [C in ErrorCode]: (typeof ERROR_CODES)[C] extends { http: number } ? C : never }[ErrorCode]

export interface ErrorOptions {
  readonly cause?: unknown
  /** Overrides the code's usual retryability (e.g. a Kafka connect at start is worth retrying, a bad topic is not). */
  readonly retryable?: boolean
  /** Extra structured facts for the log line (field names, status codes). */
  readonly details?: Record<string, unknown>
}

/** The one error class; the others below only add fields. */
export class LogstreamError extends Error {
  readonly code: ErrorCode
  readonly retryable: boolean
  readonly details: Readonly<Record<string, unknown>>

  constructor(code: ErrorCode, message: string, opts: ErrorOptions = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause })
    this.name = 'LogstreamError'
    this.code = code
    this.retryable = opts.retryable ?? ERROR_CODES[code].retryable
    this.details = opts.details ?? {}
  }

  /** The exit code of the CLI when this error ends a command. */
  get exitCode(): number {
    return ERROR_CODES[this.code].exit
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

/** A checkpoint that cannot be used as it is. */
export class CheckpointError extends LogstreamError {
  constructor(code: 'CHECKPOINT_MISMATCH' | 'CHECKPOINT_CORRUPT' | 'CHECKPOINT_BATCH_UNKNOWN' | 'CHECKPOINT_LOCKED', message: string, opts: ErrorOptions = {}) {
    super(code, message, opts)
    this.name = 'CheckpointError'
  }
}

/** An embedder's answer that is not one finite vector of the right size per text. */
export class EmbeddingShapeError extends LogstreamError {
  constructor(message: string) {
    super('EMBEDDER_BAD_RESPONSE', message)
    this.name = 'EmbeddingShapeError'
  }
}

/** Work stopped because its abort signal fired. */
export class AbortedError extends LogstreamError {
  constructor(cause?: unknown) {
    super('ABORTED', 'aborted', { cause })
    this.name = 'AbortedError'
  }
}

/** A request a service refuses; its status comes from the code. */
export class HttpError extends LogstreamError {
  readonly status: number
  constructor(code: HttpErrorCode, message: string) {
    super(code, message)
    this.name = 'HttpError'
    this.status = ERROR_CODES[code].http
  }
}

function codeOf(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code
  return typeof code === 'string' ? code : undefined
}

/** The exit code for whatever ended a command: the code's own, else 1. */
export function exitCodeFor(err: unknown): number {
  const code = codeOf(err)
  return code !== undefined && Object.hasOwn(ERROR_CODES, code) ? ERROR_CODES[code as ErrorCode].exit : 1
}

/** The README table of error codes, in Markdown. */
export function errorCodesMarkdownTable(): string {
  const lines = ['| code | exit code | retried | meaning |', '| --- | --- | --- | --- |']
  for (const [code, spec] of Object.entries(ERROR_CODES) as Array<[ErrorCode, CodeSpec]>) {
    const exit = spec.http === undefined ? String(spec.exit) : `HTTP ${spec.http}`
    lines.push(`| \`${code}\` | ${exit} | ${spec.retryable ? 'yes' : 'no'} | ${spec.meaning} |`)
  }
  return lines.join('\n')
}
