/**
 * A byte buffer written from the front that doubles when it is full: what the
 * request bodies for Qdrant (JSON in points-json.ts, protobuf in
 * qdrant-proto.ts) are written into, without a string or an array between.
 */
export class GrowingBytes {
  buf: Buffer
  /** Where the next byte goes; the bytes before it are the content. */
  at: number

  /** `from`: a buffer to write into while it is large enough (a pool's), instead of a new one. */
  constructor(size: number, start = 0, from?: Buffer) {
    const need = Math.max(size, 64, start)
    this.buf = from && from.length >= need ? from : Buffer.allocUnsafeSlow(need)
    this.at = start
  }

  /** Makes room for `n` more bytes at `at`. */
  room(n: number): void {
    if (this.at + n <= this.buf.length) return
    // Never a slice of Node's shared pool: a body's memory is its own, so it can be written over once answered.
    const next = Buffer.allocUnsafeSlow(Math.max(this.buf.length * 2, this.at + n))
    this.buf.copy(next, 0, 0, this.at)
    this.buf = next
  }
}

/**
 * Buffers of request bodies that were sent and answered, kept for the next
 * bodies. The bodies of a 1,000-point batch take 2.5 MB (protobuf) to 6.6 MB
 * (JSON) of memory outside V8's heap, and each lives until Qdrant answers,
 * long enough to be promoted: V8 counts such memory towards the old
 * generation's limit until a full collection frees it, so new buffers for
 * every batch made the collector mark the whole heap every few batches
 * (BENCHMARKS.md, Round 7).
 * A body given back is written over by the next one: give back only a body
 * written by `GrowingBytes` (whose memory is its own, never a slice of
 * Node's shared pool) that nothing will send again.
 */
export class BodyBuffers {
  readonly #free: Buffer[] = []

  /** `keep`: the requests in flight at most, each with a body. */
  constructor(readonly keep = 2) {}

  /** A buffer to start a body in, if one is free (`GrowingBytes` allocates when it is too small). */
  take(): Buffer | undefined {
    return this.#free.pop()
  }

  /** `body` (a view from the start of its buffer) is answered: its whole buffer serves the next body. */
  give(body: Buffer): void {
    if (this.#free.length >= this.keep || body.byteOffset !== 0) return
    this.#free.push(Buffer.from(body.buffer, 0, body.buffer.byteLength))
  }
}
