/**
 * Vectors as base64 of their little-endian float32 bytes, the encoding
 * OpenAI's embeddings API (`encoding_format: "base64"`) and vLLM answer in:
 * a fifth of the bytes of JSON numbers, and no number to print or parse on
 * either side. serve-embeddings writes it, the HTTP embedder reads it.
 */
import { littleEndian } from './vector-bytes.ts'

/** A vector's float32 bytes (little-endian) in base64. */
export function vectorToBase64(v: Float32Array): string {
  if (littleEndian) return Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('base64')
  const bytes = Buffer.alloc(v.length * 4)
  for (let i = 0; i < v.length; i++) bytes.writeFloatLE(v[i]!, i * 4)
  return bytes.toString('base64')
}

/** The vector base64 holds; an empty one when its bytes are not whole float32s, so the embed stage refuses it. */
export function vectorFromBase64(s: string): Float32Array {
  // Plain base64 is decoded straight into the vector's own memory (one allocation, no copy); byteLength only
  // estimates from the length, so anything else (whitespace, a stray character) takes the general path.
  const size = Buffer.byteLength(s, 'base64')
  if (littleEndian && size % 4 === 0) {
    const out = new Float32Array(size / 4)
    if (Buffer.from(out.buffer, out.byteOffset, out.byteLength).write(s, 'base64') === size) return out
  }
  const bytes = Buffer.from(s, 'base64')
  if (bytes.length % 4 !== 0) return new Float32Array(0)
  const out = new Float32Array(bytes.length / 4)
  if (littleEndian) new Uint8Array(out.buffer).set(bytes)
  else for (let i = 0; i < out.length; i++) out[i] = bytes.readFloatLE(i * 4)
  return out
}

/**
 * `vectorFromBase64` for every vector of an answer, decoded into one shared
 * buffer: one ArrayBuffer an answer instead of one a vector. A vector lives
 * until its point is stored, and every ArrayBuffer is memory outside V8's heap
 * that the collector tracks and sweeps one by one (see `operators/packed-record.ts`).
 */
export function vectorsFromBase64(list: readonly string[]): Float32Array[] {
  const sizes = list.map((s) => Buffer.byteLength(s, 'base64'))
  if (!littleEndian || sizes.some((n) => n % 4 !== 0)) return list.map(vectorFromBase64)
  const bytes = Buffer.alloc(sizes.reduce((a, b) => a + b, 0))
  const out: Float32Array[] = new Array(list.length)
  let at = 0
  for (let i = 0; i < list.length; i++) {
    const size = sizes[i]!
    // byteLength only estimates from the length: anything but plain base64 takes the general path.
    out[i] = bytes.write(list[i]!, at, size, 'base64') === size ? new Float32Array(bytes.buffer, bytes.byteOffset + at, size / 4) : vectorFromBase64(list[i]!)
    at += size
  }
  return out
}
