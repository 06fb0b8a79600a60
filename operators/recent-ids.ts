/**
 * A bounded set of recently stored (or claimed by an in-flight batch) point ids,
 * so a replay or a burst of duplicates costs no store look-up and no embedding.
 * Oldest ids fall out first once `capacity` is reached.
 *
 * Ids are held as 16-byte keys in typed arrays, not as strings in a Set: the
 * default 200,000 ids took about 20 MB of heap as strings (and every full
 * garbage collection marked them all), and take 6 MB here, outside the
 * collected objects. A point id (a lowercase hyphenated UUID) is its own key,
 * exactly; any other string is keyed by the first 16 bytes of its SHA-256.
 */
import { hash } from 'node:crypto'

const EMPTY = -1

export class RecentIds {
  /** Four 32-bit words of each slot's key. */
  readonly #keys: Uint32Array
  /** Age order, a doubly linked list of slots: oldest at `#head`, youngest at `#tail`. */
  readonly #older: Int32Array
  readonly #younger: Int32Array
  /** Open addressing with linear probing: key → slot, or EMPTY. */
  readonly #table: Int32Array
  readonly #mask: number
  #head = EMPTY
  #tail = EMPTY
  #size = 0
  #dropped = false
  /** Slots never used yet, then freed slots (linked through `#younger`). */
  #unused = 0
  #free = EMPTY
  /** The key of the id last looked at (`#keyOf`), so no call allocates. */
  readonly #k = new Uint32Array(4)

  constructor(readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 0) throw new RangeError(`capacity must be a non-negative integer, got ${capacity}`)
    this.#keys = new Uint32Array(capacity * 4)
    this.#older = new Int32Array(capacity)
    this.#younger = new Int32Array(capacity)
    // At most half full, so probes stay short.
    let tableSize = 2
    while (tableSize < capacity * 2) tableSize *= 2
    this.#table = new Int32Array(capacity === 0 ? 0 : tableSize).fill(EMPTY)
    this.#mask = tableSize - 1
  }

  get size(): number {
    return this.#size
  }

  /** True while every id added and not deleted is still here: none has fallen out to make room (and the capacity is not 0). */
  get keptAll(): boolean {
    return this.capacity > 0 && !this.#dropped
  }

  has(id: string): boolean {
    if (this.capacity === 0) return false
    this.#keyOf(id)
    return this.#table[this.#find()]! !== EMPTY
  }

  add(id: string): void {
    this.claim(id)
  }

  /**
   * Adds an id and says whether it was already there: `has` and `add` in one
   * look-up, as dedup asks of every id of a batch.
   */
  claim(id: string): boolean {
    if (this.capacity === 0) return false
    this.#keyOf(id)
    return this.#claimKey()
  }

  /** `claim` for the key in `#k`. */
  #claimKey(): boolean {
    const at = this.#find()
    const found = this.#table[at]!
    if (found !== EMPTY) {
      // Re-adding moves an id to the young end, so hot ids stay.
      this.#unlink(found)
      this.#link(found)
      return true
    }
    if (this.#size === this.capacity) {
      this.#dropped = true
      this.#remove(this.#head)
      // The removal may have shifted entries of the probe run (`#k` is untouched): find the place again.
      this.#insert(this.#find())
    } else this.#insert(at)
    return false
  }

  /**
   * Adds ids given as their 16 bytes each, packed, oldest first (a store's most
   * recent ids at start: `VectorStore.recentIds`); an id already here moves to the
   * young end. The same keys as `claim` gives their UUIDs, with no string made.
   */
  addPacked(ids: Uint8Array): void {
    if (this.capacity === 0) return
    if (ids.length % 16 !== 0) throw new RangeError(`packed ids must be 16 bytes each, got ${ids.length} bytes`)
    const view = new DataView(ids.buffer, ids.byteOffset, ids.byteLength)
    const k = this.#k
    for (let o = 0; o < ids.length; o += 16) {
      for (let w = 0; w < 4; w++) k[w] = view.getUint32(o + w * 4)
      this.#claimKey()
    }
  }

  /** Forgets an id (its entry was claimed and then not stored). */
  delete(id: string): void {
    if (this.capacity === 0) return
    this.#keyOf(id)
    const slot = this.#table[this.#find()]!
    if (slot !== EMPTY) this.#remove(slot)
  }

  clear(): void {
    this.#dropped = true
    this.#table.fill(EMPTY)
    this.#head = this.#tail = this.#free = EMPTY
    this.#size = this.#unused = 0
  }

  /** Sets `#k` to the id's key: the UUID's own 16 bytes, else the first 16 bytes of its SHA-256. */
  #keyOf(id: string): void {
    const k = this.#k
    if (id.length === 36 && id.charCodeAt(8) === 45 && id.charCodeAt(13) === 45 && id.charCodeAt(18) === 45 && id.charCodeAt(23) === 45) {
      let word = 0
      let w = 0
      let digits = 0
      for (let i = 0; i < 36; i++) {
        if (i === 8 || i === 13 || i === 18 || i === 23) continue
        const c = id.charCodeAt(i)
        // Lowercase hex only: 'A' and 'a' are different ids to every store, so an uppercase UUID is hashed like any string.
        const v = c >= 48 && c <= 57 ? c - 48 : c >= 97 && c <= 102 ? c - 87 : -1
        if (v < 0) return this.#hashKey(id)
        word = (word << 4) | v
        if (++digits === 8) {
          k[w++] = word
          word = 0
          digits = 0
        }
      }
      return
    }
    this.#hashKey(id)
  }

  #hashKey(id: string): void {
    const h = hash('sha256', id, 'buffer')
    for (let w = 0; w < 4; w++) this.#k[w] = h.readUInt32BE(w * 4)
  }

  /** The table position of `#k`: its slot's, or the empty one where it would go. */
  #find(): number {
    const k = this.#k
    const keys = this.#keys
    // Point ids are hashes, so their last word spreads them evenly; hashed strings too.
    let at = (k[3]! ^ k[1]!) & this.#mask
    for (;;) {
      const slot = this.#table[at]!
      if (slot === EMPTY) return at
      const o = slot * 4
      if (keys[o] === k[0] && keys[o + 1] === k[1] && keys[o + 2] === k[2] && keys[o + 3] === k[3]) return at
      at = (at + 1) & this.#mask
    }
  }

  #insert(at: number): void {
    let slot: number
    if (this.#free !== EMPTY) {
      slot = this.#free
      this.#free = this.#younger[slot]!
    } else slot = this.#unused++
    this.#keys.set(this.#k, slot * 4)
    this.#table[at] = slot
    this.#link(slot)
    this.#size++
  }

  #remove(slot: number): void {
    this.#unlink(slot)
    const keys = this.#keys
    const o = slot * 4
    const mask = this.#mask
    let at = (keys[o + 3]! ^ keys[o + 1]!) & mask
    while (this.#table[at] !== slot) at = (at + 1) & mask
    // Backward-shift deletion: entries after the hole that probed past it move back, so no probe run is broken.
    let hole = at
    let next = (at + 1) & mask
    for (;;) {
      const s = this.#table[next]!
      if (s === EMPTY) break
      const home = (keys[s * 4 + 3]! ^ keys[s * 4 + 1]!) & mask
      // Moves back when its home is not in (hole, next], cyclically.
      if (hole <= next ? home <= hole || home > next : home <= hole && home > next) {
        this.#table[hole] = s
        hole = next
      }
      next = (next + 1) & mask
    }
    this.#table[hole] = EMPTY
    this.#younger[slot] = this.#free
    this.#free = slot
    this.#size--
  }

  #link(slot: number): void {
    this.#older[slot] = this.#tail
    this.#younger[slot] = EMPTY
    if (this.#tail !== EMPTY) this.#younger[this.#tail] = slot
    else this.#head = slot
    this.#tail = slot
  }

  #unlink(slot: number): void {
    const older = this.#older[slot]!
    const younger = this.#younger[slot]!
    if (older !== EMPTY) this.#younger[older] = younger
    else this.#head = younger
    if (younger !== EMPTY) this.#older[younger] = older
    else this.#tail = older
  }
}
