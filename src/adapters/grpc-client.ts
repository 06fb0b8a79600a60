/**
 * Unary gRPC calls over one node:http2 session: a request frame already
 * encoded (see qdrant-proto.ts) in, the answer's message bytes out. The
 * session is opened on first use and again after it closed (a server restart,
 * a GOAWAY); it keeps the process alive only while calls are in flight.
 *
 * A call fails with a `GrpcError` carrying the gRPC status code, or the HTTP
 * status the server answered instead of gRPC, and `httpStatus`, the HTTP
 * status of the same meaning (the Qdrant store classifies errors by it).
 */
import http2 from 'node:http2'

/** gRPC status codes by name (grpc/doc/statuscodes.md). */
export const GRPC_STATUS = {
  OK: 0,
  CANCELLED: 1,
  UNKNOWN: 2,
  INVALID_ARGUMENT: 3,
  DEADLINE_EXCEEDED: 4,
  NOT_FOUND: 5,
  ALREADY_EXISTS: 6,
  PERMISSION_DENIED: 7,
  RESOURCE_EXHAUSTED: 8,
  FAILED_PRECONDITION: 9,
  ABORTED: 10,
  OUT_OF_RANGE: 11,
  UNIMPLEMENTED: 12,
  INTERNAL: 13,
  UNAVAILABLE: 14,
  DATA_LOSS: 15,
  UNAUTHENTICATED: 16,
} as const

const NAMES = new Map<number, string>(Object.entries(GRPC_STATUS).map(([name, code]) => [code, name]))

/** The HTTP status of the same meaning as a gRPC code (as grpc-gateway maps them). */
const HTTP_OF: Record<number, number> = {
  1: 499,
  2: 500,
  3: 400,
  4: 504,
  5: 404,
  6: 409,
  7: 403,
  8: 429,
  9: 400,
  10: 409,
  11: 400,
  12: 501,
  13: 500,
  14: 503,
  15: 500,
  16: 401,
}

export class GrpcError extends Error {
  override readonly name = 'GrpcError'
  constructor(
    message: string,
    /** The gRPC status code; undefined when no gRPC answer came (see `httpStatus`). */
    readonly code: number | undefined,
    /** What the failure means in HTTP terms: 503 for a connection that failed or closed. */
    readonly httpStatus: number,
  ) {
    super(message)
  }
  /** For classifiers that read `status` as HTTP clients set it. */
  get status(): number {
    return this.httpStatus
  }
}

/** A `grpc-timeout` header: at most 8 digits and a unit. */
export function grpcTimeout(ms: number): string {
  const whole = Math.max(1, Math.ceil(ms))
  return whole <= 99_999_999 ? `${whole}m` : `${Math.min(99_999_999, Math.ceil(whole / 1000))}S`
}

/** `grpc-message` is percent-encoded; a malformed one is shown as sent. */
function decodeMessage(raw: string): string {
  try {
    return decodeURIComponent(raw)
  } catch {
    return raw
  }
}

export interface GrpcClientOptions {
  /** `http://host:port` or `https://host:port` of the gRPC endpoint. */
  readonly url: string
  /** Metadata sent with every call (`api-key`, `authorization`). */
  readonly metadata?: Readonly<Record<string, string>>
  /** A call must be answered within this long (sent as `grpc-timeout` too). */
  readonly timeoutMs: number
}

export interface GrpcClient {
  /** Sends `frame` (a gRPC length-prefixed message) to `path` (`/package.Service/Method`); resolves with the answer's message bytes. */
  unary(path: string, frame: Buffer, signal?: AbortSignal): Promise<Buffer>
  close(): void
}

/**
 * @example
 * const grpc = createGrpcClient({ url: 'http://localhost:6334', timeoutMs: 30_000 })
 * const answer = await grpc.unary('/qdrant.Points/Upsert', frame)
 */
export function createGrpcClient(opts: GrpcClientOptions): GrpcClient {
  let session: http2.ClientHttp2Session | undefined
  let inFlight = 0

  const open = (): http2.ClientHttp2Session => {
    if (session && !session.closed && !session.destroyed) return session
    const s = http2.connect(opts.url)
    // Errors reach the calls on the session's streams; a session-level one only ends the session.
    s.on('error', () => {})
    const forget = () => {
      if (session === s) session = undefined
    }
    s.on('close', forget)
    s.on('goaway', forget)
    session = s
    return s
  }

  const unary = (path: string, frame: Buffer, signal?: AbortSignal): Promise<Buffer> =>
    new Promise((resolve, reject) => {
      if (signal?.aborted) return reject(new GrpcError(`gRPC ${path}: aborted`, GRPC_STATUS.CANCELLED, 499))
      const s = open()
      if (inFlight++ === 0) s.ref()
      const stream = s.request({
        ':method': 'POST',
        ':path': path,
        'content-type': 'application/grpc',
        te: 'trailers',
        'grpc-timeout': grpcTimeout(opts.timeoutMs),
        ...opts.metadata,
      })
      const chunks: Buffer[] = []
      let httpStatus = 0
      let headerStatus: string | undefined
      let headerMessage: string | undefined
      let trailerStatus: string | undefined
      let trailerMessage: string | undefined
      let done = false
      const finish = (err: Error | null, answer?: Buffer) => {
        if (done) return
        done = true
        clearTimeout(timer)
        signal?.removeEventListener('abort', onAbort)
        if (--inFlight === 0 && !s.destroyed) s.unref()
        if (err) reject(err)
        else resolve(answer!)
      }
      const timer = setTimeout(() => {
        finish(new GrpcError(`gRPC ${path}: no answer within ${opts.timeoutMs} ms`, GRPC_STATUS.DEADLINE_EXCEEDED, 504))
        stream.close(http2.constants.NGHTTP2_CANCEL)
      }, opts.timeoutMs)
      const onAbort = () => {
        finish(new GrpcError(`gRPC ${path}: aborted`, GRPC_STATUS.CANCELLED, 499))
        stream.close(http2.constants.NGHTTP2_CANCEL)
      }
      signal?.addEventListener('abort', onAbort, { once: true })
      stream.on('response', (headers) => {
        httpStatus = Number(headers[':status'] ?? 0)
        headerStatus = headers['grpc-status'] as string | undefined
        headerMessage = headers['grpc-message'] as string | undefined
      })
      stream.on('trailers', (trailers) => {
        trailerStatus = trailers['grpc-status'] as string | undefined
        trailerMessage = trailers['grpc-message'] as string | undefined
      })
      stream.on('data', (c: Buffer) => chunks.push(c))
      stream.on('error', (err) => finish(new GrpcError(`gRPC ${path}: ${err.message}`, undefined, 503)))
      stream.on('close', () => {
        if (done) return
        const raw = trailerStatus ?? headerStatus
        if (raw === undefined) {
          // No gRPC status: the connection dropped, or something other than a gRPC server answered.
          const status = httpStatus === 0 || httpStatus === 200 ? 503 : httpStatus
          return finish(new GrpcError(`gRPC ${path}: ${httpStatus === 0 ? 'the connection closed before an answer' : `HTTP ${httpStatus} without a gRPC status`}`, undefined, status))
        }
        const code = Number(raw)
        if (code !== GRPC_STATUS.OK) {
          const message = decodeMessage(trailerMessage ?? headerMessage ?? '')
          // RESOURCE_EXHAUSTED is a rate limit (retried), except for a message over the server's size limit, which no retry fixes.
          const httpStatus = code === GRPC_STATUS.RESOURCE_EXHAUSTED && /too large|larger than|exceeds/i.test(message) ? 413 : (HTTP_OF[code] ?? 500)
          return finish(new GrpcError(`gRPC ${path}: ${NAMES.get(code) ?? `status ${code}`}${message ? `: ${message}` : ''}`, code, httpStatus))
        }
        const body = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks)
        if (body.length < 5 || body[0] !== 0 || body.readUInt32BE(1) !== body.length - 5) {
          return finish(new GrpcError(`gRPC ${path}: an answer that is not one uncompressed message (${body.length} bytes)`, GRPC_STATUS.INTERNAL, 502))
        }
        finish(null, body.subarray(5))
      })
      stream.end(frame)
    })

  return {
    unary,
    close() {
      session?.close()
      session = undefined
    },
  }
}
