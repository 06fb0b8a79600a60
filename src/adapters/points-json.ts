/**
 * The JSON body of a Qdrant upsert (`{"points": [{"id", "vector", "payload"}]}`)
 * written straight into bytes. Printing vectors is most of an upsert's cost
 * in the job: JSON.stringify prints each float32 as the shortest double that
 * equals it (up to 17 digits), allocating an array and a string a vector on
 * the way. Here each number is written with the 9 significant digits that
 * identify a float32 exactly (it reads back as the same float32, so Qdrant
 * stores the vector the embedder gave), without an intermediate string: a
 * third of the time and two thirds of the bytes.
 */
import type { Point } from '../../operators/contracts.ts'
import { GrowingBytes } from './growing-bytes.ts'

/** 10^k for k in [0, 22], each exact. */
const POW10 = Array.from({ length: 23 }, (_, k) => 10 ** k)

/** A growing byte buffer for one body, with text. */
class Bytes extends GrowingBytes {
  text(s: string): void {
    this.room(s.length * 3)
    this.at += this.buf.write(s, this.at, 'utf8')
  }
}

/** Characters a number takes at most: a sign and the longest shortest form of a double. */
const MAX_NUMBER_CHARS = 25
const ZERO = 48
/** "0000" to "9999", each as its four ASCII bytes in a little-endian 32-bit word: four digits in one store. */
const QUADS = Uint32Array.from({ length: 10_000 }, (_, i) => {
  const digit = (k: number) => ZERO + (Math.floor(i / 10 ** k) % 10)
  return (digit(3) | (digit(2) << 8) | (digit(1) << 16) | (digit(0) << 24)) >>> 0
})
/** "0.00" and "0000" as little-endian words: a number's "0." and the zeros after it, written in two stores. */
const POINT_ZEROS = 0x30302e30
const FOUR_ZEROS = 0x30303030

/**
 * Writes the components of a vector (float32 values) as comma-separated JSON
 * numbers at `pos` of `b` (`view` over the same bytes); returns the position
 * after them, or -1 - j when component j is not finite. Components in
 * [1e-6, 1) in magnitude, which are nearly all of a dense embedding's, are
 * written as 0.ddd with 9 significant digits from integer arithmetic, four
 * digits a store; zero as "0"; the rest as JavaScript prints them (the
 * shortest form of the value, exact). NaN and the infinities fail the range
 * test, so they are caught on the rare path and cost the common one nothing.
 * A component's stores reach at most 18 bytes past its comma: the caller
 * makes room for MAX_NUMBER_CHARS + 1 a component.
 */
function writeVector(b: Uint8Array, view: DataView, pos: number, v: ArrayLike<number>): number {
  for (let j = 0; j < v.length; j++) {
    let x = v[j]!
    if (j > 0) b[pos++] = 44 // ','
    const negative = x < 0
    if (negative) x = -x
    if (x >= 1e-6 && x < 1) {
      if (negative) b[pos++] = 45 // '-'
      // x = m · 10^(e − 8), m of 9 digits (a leading 0 when x sits just under a power of ten: still exact to 9 digits).
      let e = x >= 0.01 ? (x >= 0.1 ? -1 : -2) : x >= 0.001 ? -3 : x >= 1e-4 ? -4 : x >= 1e-5 ? -5 : -6
      let m = (x * POW10[8 - e]! + 0.5) | 0
      if (m >= 1e9) {
        // Rounding carried into a tenth digit: x rounds to 10^(e+1).
        m = 1e8
        if (++e === 0) {
          b[pos++] = 49 // '1'
          continue
        }
      }
      // "0.000000" written whole, of which the "0." and the -1 - e zeros stay.
      view.setUint32(pos, POINT_ZEROS, true)
      view.setUint32(pos + 4, FOUR_ZEROS, true)
      pos += 1 - e
      // m = d · 10^8 + h · 10^4 + l: one digit, then two groups of four.
      const d = (m / 100_000_000) | 0
      const r = m - d * 100_000_000
      const h = (r / 10_000) | 0
      b[pos] = ZERO + d
      view.setUint32(pos + 1, QUADS[h]!, true)
      view.setUint32(pos + 5, QUADS[r - h * 10_000]!, true)
      pos += 9
      while (b[pos - 1] === ZERO) pos--
    } else if (x === 0) {
      // Most of a sparse vector's components (the built-in embedder's: 349 of 384 for an HDFS line); -0 too, as JSON has it.
      b[pos++] = ZERO
    } else {
      if (!Number.isFinite(x)) return -1 - j
      const s = String(negative ? -x : x)
      for (let i = 0; i < s.length; i++) b[pos++] = s.charCodeAt(i)
    }
  }
  return pos
}

/**
 * The body of `PUT /collections/{c}/points` for `points`; vectors must hold
 * finite numbers (the embed stage checks each), else a RangeError. Written
 * into `into` when it is large enough (a buffer of `BodyBuffers`).
 *
 * @example
 * await fetch(`${url}/collections/logs/points?wait=true`, { method: 'PUT', body: upsertBody(points), headers: { 'content-type': 'application/json' } })
 */
export function upsertBody(points: readonly Point[], into?: Buffer): Buffer {
  const out = new Bytes(16 + points.length * ((points[0]?.vector.length ?? 0) * 12 + 2048), 0, into)
  // Where each vector was written: points sharing one (lines of one shape, from the built-in embedder or
  // `--embedding-text masked`) copy its text instead of printing it again.
  const written = new Map<Point['vector'], { start: number; end: number }>()
  // Over the body's buffer (made again when the buffer grows).
  let view: DataView | undefined
  out.text('{"points":[')
  points.forEach((p, i) => {
    out.text(`${i > 0 ? ',' : ''}{"id":${JSON.stringify(p.id)},"vector":[`)
    const v = p.vector
    const before = written.get(v)
    if (before) {
      out.room(before.end - before.start)
      out.at += out.buf.copy(out.buf, out.at, before.start, before.end)
    } else {
      out.room(v.length * (MAX_NUMBER_CHARS + 1))
      if (view?.buffer !== out.buf.buffer) view = new DataView(out.buf.buffer, out.buf.byteOffset, out.buf.byteLength)
      // A vector of plain numbers is stored as Qdrant stores any: as float32.
      const end = writeVector(out.buf, view, out.at, v instanceof Float32Array ? v : Float32Array.from(v))
      if (end < 0) throw new RangeError(`point ${p.id}: a non-finite number at position ${-1 - end} of its vector`)
      written.set(v, { start: out.at, end })
      out.at = end
    }
    out.text(`],"payload":${JSON.stringify(p.payload)}}`)
  })
  out.text(']}')
  return out.buf.subarray(0, out.at)
}
