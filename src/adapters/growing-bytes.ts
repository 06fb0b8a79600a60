/**
 * A byte buffer written from the front that doubles when it is full: what the
 * request bodies for Qdrant (JSON in points-json.ts, protobuf in
 * qdrant-proto.ts) are written into, without a string or an array between.
 */
export class GrowingBytes {
  buf: Buffer
  /** Where the next byte goes; the bytes before it are the content. */
  at: number

  constructor(size: number, start = 0) {
    this.buf = Buffer.allocUnsafe(Math.max(size, 64, start))
    this.at = start
  }

  /** Makes room for `n` more bytes at `at`. */
  room(n: number): void {
    if (this.at + n <= this.buf.length) return
    const next = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.at + n))
    this.buf.copy(next, 0, 0, this.at)
    this.buf = next
  }
}
