/**
 * Vectors as their raw little-endian float32 bytes, one after another: the
 * answer serve-embeddings gives an `/embed` request that accepts
 * `application/octet-stream` before JSON, and the HTTP embedder asks for.
 * Against base64 in JSON, the job keeps no 2 KB string a vector, no JSON to
 * parse and nothing to decode: the vectors are views of the answer's bytes.
 * A service that does not know the type answers JSON, which is read as before.
 */

/** The media type of an answer in vector bytes. */
export const VECTOR_BYTES_TYPE = 'application/octet-stream'

export const littleEndian = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1

/** The vectors' float32 bytes, little-endian, one vector after another. */
export function vectorsToBytes(vectors: readonly Float32Array[]): Buffer {
  const size = vectors.reduce((n, v) => n + v.length, 0)
  const out = new Float32Array(size)
  let at = 0
  for (const v of vectors) {
    out.set(v, at)
    at += v.length
  }
  const bytes = Buffer.from(out.buffer)
  if (!littleEndian) for (let i = 0; i < size; i++) bytes.writeFloatLE(out[i]!, i * 4)
  return bytes
}

/**
 * `count` vectors of equal length read from `bytes`, or undefined when the
 * bytes are not that: a length that does not split into `count` whole float32
 * vectors. The vectors share one buffer: the answer's own when it is all of
 * its buffer, else a copy.
 */
export function vectorsFromBytes(bytes: Uint8Array, count: number): Float32Array[] | undefined {
  if (count === 0) return bytes.length === 0 ? [] : undefined
  if (bytes.length === 0 || bytes.length % (count * 4) !== 0) return undefined
  const dim = bytes.length / count / 4
  // Vectors live until stored: bytes that are part of a larger buffer (a small answer in Node's shared pool, or
  // one read's slice) are copied, so no vector pins or shares memory that is not the answer's; a copy also starts
  // on a multiple of 4 bytes, as a Float32Array must.
  const own = bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength ? bytes : new Uint8Array(bytes)
  const floats = new Float32Array(own.buffer, own.byteOffset, own.length / 4)
  if (!littleEndian) {
    const view = new DataView(own.buffer, own.byteOffset, own.length)
    for (let i = 0; i < floats.length; i++) floats[i] = view.getFloat32(i * 4, true)
  }
  const out: Float32Array[] = new Array(count)
  for (let i = 0; i < count; i++) out[i] = floats.subarray(i * dim, (i + 1) * dim)
  return out
}
