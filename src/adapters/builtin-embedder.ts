/**
 * The built-in embedder: deterministic and model-free. A text becomes the
 * signed, hashed counts of its words, word pairs and character trigrams,
 * L2-normalised, in `dim` dimensions. Digit runs are folded to one symbol
 * first, so lines from the same template (which differ in block ids, addresses
 * and sizes) land near each other while lines that share few words stay apart.
 */
import type { Embedder } from '../../operators/contracts.ts'

export interface BuiltinEmbedderOptions {
  readonly dim: number
}

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

function addFeature(v: Float32Array, feature: string, weight: number): void {
  const h = fnv1a(feature)
  // One bit of the hash picks the sign, so collisions cancel out on average instead of piling up.
  v[h % v.length]! += h & 0x80000000 ? -weight : weight
}

/** Features with their weights; a feature seen n times weighs 1 + ln n, so repeated tokens do not drown the rest. */
function features(text: string): Map<string, number> {
  const out = new Map<string, number>()
  const count = (f: string, w: number) => out.set(f, (out.get(f) ?? 0) + w)
  const folded = text.toLowerCase().replace(/-?\d+/g, '#')
  // Tokens that are only folded numbers (addresses, ports, sizes) say nothing about the kind of line.
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

/** The vector of one text; exported for tests and the scoring service. */
export function embedText(text: string, dim: number): Float32Array {
  const v = new Float32Array(dim)
  for (const [feature, total] of features(text)) {
    const weight = feature.startsWith('w:') ? WORD_WEIGHT : feature.startsWith('p:') ? PAIR_WEIGHT : TRIGRAM_WEIGHT
    const n = total / weight
    addFeature(v, feature, weight * (1 + Math.log(n)))
  }
  let norm = 0
  for (let i = 0; i < dim; i++) norm += v[i]! * v[i]!
  if (norm === 0) {
    // A text with no words still gets a unit vector, so cosine distance stays defined.
    v[fnv1a(text) % dim] = 1
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
  return {
    name: 'builtin',
    dim: opts.dim,
    async embed(texts) {
      return texts.map((t) => embedText(t, opts.dim))
    },
  }
}

/** An embedder that returns constant unit vectors: for measuring the engine alone. */
export function createNoopEmbedder(opts: BuiltinEmbedderOptions): Embedder {
  const unit = new Float32Array(opts.dim)
  unit[0] = 1
  return { name: 'none', dim: opts.dim, async embed(texts) { return texts.map(() => unit) } }
}
