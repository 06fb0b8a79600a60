/**
 * The built-in embedder: deterministic and model-free. A message is first
 * reduced to its shape (`maskVariables`: numbers, hex and UUID ids, addresses,
 * host names, paths, block ids, user names and times become placeholders, as
 * log parsers pre-process lines), then becomes the signed, hashed counts of its
 * words, word pairs and character trigrams, L2-normalised, in `dim`
 * dimensions. Two lines a logging statement wrote get nearly the same vector
 * whatever ids they carried, while lines that share few words stay apart.
 *
 * A vector depends on the shape alone, so the embedder works a shape once and
 * remembers the recent ones (`shape-vectors.ts`): lines of one shape share a
 * vector. Counting a shape's features is most of the embedder's time (about
 * 20 µs a HDFS line against 2–3 for masking it), and a job sees the same few
 * hundred shapes all day.
 */
import type { Embedder } from '../../operators/contracts.ts'
import { rememberShapeOf } from '../../operators/mask.ts'
import { REMEMBERED_SHAPES, createShapeVectors } from './shape-vectors.ts'

export interface BuiltinEmbedderOptions {
  readonly dim: number
  /** Shapes remembered with their vectors at most (default `REMEMBERED_SHAPES`). */
  readonly remembered?: number
}

// Placeholders (`<ip>`) read as the word `ip`: a variable still counts as a word of the line, whatever its value.
const WORD = /[a-z_$#]+/g
const WORD_WEIGHT = 1
const PAIR_WEIGHT = 0.7
const TRIGRAM_WEIGHT = 0.25

/** 32-bit FNV-1a over a string's UTF-16 units; stable across machines. */
function fnv1a(s: string, seed = 0x811c9dc5): number {
  let h = seed >>> 0
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i)
    h = Math.imul(h, 0x01000193) >>> 0
  }
  return h >>> 0
}

/** Features of a shape with their summed weights. */
function features(shape: string): Map<string, number> {
  const out = new Map<string, number>()
  const count = (f: string, w: number) => out.set(f, (out.get(f) ?? 0) + w)
  // Digits left after masking (inside words the rules do not reach) fold to one symbol.
  const folded = shape.toLowerCase().replace(/\d+/g, '#')
  // Tokens that are only folded digits say nothing about the kind of line.
  const words = (folded.match(WORD) ?? []).filter((w) => /[a-z]/.test(w))
  for (let i = 0; i < words.length; i++) {
    const w = words[i]!
    count(`w:${w}`, WORD_WEIGHT)
    if (i + 1 < words.length) count(`p:${w} ${words[i + 1]}`, PAIR_WEIGHT)
    const padded = ` ${w} `
    for (let j = 0; j + 3 <= padded.length; j++) count(`c:${padded.slice(j, j + 3)}`, TRIGRAM_WEIGHT)
  }
  return out
}

/**
 * The vector of one message; exported for tests and the scoring service.
 *
 * @example
 * embedText('Received block blk_-1608999687919862906 of size 91178 from /10.250.10.6', 384)
 */
export function embedText(text: string, dim: number): Float32Array {
  return embedShape(rememberShapeOf(text), dim)
}

/**
 * The vector of a message's shape (`maskVariables`). A shape with no words still gets a unit vector, so cosine distance
 * stays defined: picked by the hash of the shape, which is then the message itself (every placeholder is a word, so a
 * shape without words is a message no mask changed).
 */
function embedShape(shape: string, dim: number): Float32Array {
  const v = new Float32Array(dim)
  for (const [feature, weight] of features(shape)) {
    const h = fnv1a(feature)
    // A feature seen again adds less each time (log1p of its summed weight), so repeated tokens do not drown the rest;
    // one bit of the hash picks the sign, so collisions cancel out on average instead of piling up.
    v[h % dim]! += (h & 0x80000000 ? -1 : 1) * Math.log1p(weight)
  }
  let norm = 0
  for (let i = 0; i < dim; i++) norm += v[i]! * v[i]!
  if (norm === 0) {
    v[fnv1a(shape) % dim] = 1
    return v
  }
  const scale = 1 / Math.sqrt(norm)
  for (let i = 0; i < dim; i++) v[i]! *= scale
  return v
}

/**
 * @example
 * const embedder = createBuiltinEmbedder({ dim: 384 })
 * const [v] = await embedder.embed(['Receiving block blk_1 src: /10.0.0.1:5000'])
 */
export function createBuiltinEmbedder(opts: BuiltinEmbedderOptions): Embedder {
  if (!Number.isInteger(opts.dim) || opts.dim < 1) throw new RangeError(`dim must be a positive integer, got ${opts.dim}`)
  const memory = createShapeVectors(opts.remembered ?? REMEMBERED_SHAPES)
  const embedShapes = (shapes: readonly string[]) => shapes.map((shape) => embedShape(shape, opts.dim))
  return {
    name: 'builtin',
    dim: opts.dim,
    vectorPerShape: true,
    async embed(texts) {
      return (await memory.vectorsOf(texts.map(rememberShapeOf), embedShapes)).vectors
    },
  }
}

/** An embedder that returns constant unit vectors: for measuring the engine alone. */
export function createNoopEmbedder(opts: BuiltinEmbedderOptions): Embedder {
  const unit = new Float32Array(opts.dim)
  unit[0] = 1
  return { name: 'none', dim: opts.dim, async embed(texts) { return texts.map(() => unit) } }
}
