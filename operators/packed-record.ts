/**
 * An entry's source record on its way to the commit, its bytes packed with
 * those of the other entries of its source chunk into one buffer.
 *
 * Nothing after the parse reads an entry's bytes except a dead letter made of
 * it later (an embedding or the store refused it), and then they must be the
 * very bytes the source gave. Held as the source's Buffer, a record kept an
 * ArrayBuffer of its own until its batch committed, which the collector tracks
 * and sweeps one by one (BENCHMARKS.md, *Round 5*: letting it go took 4–6 CPU
 * µs a message off the engine row). Held as its decoded text, the record kept
 * a string as long as the message in V8's heap, which every young-generation
 * collection copied while the batch was in flight (*Round 21*: packed instead,
 * the engine row ran at 46–47% of the ceiling against 42–46%, at 27.1–28.5 CPU
 * µs a message against 28.0–29.9). One buffer a chunk is neither: outside the
 * heap, one for a thousand records, and gone with the chunk's last entry.
 *
 * `value` is a getter: a record spread (`{ ...record }`) or structured-cloned
 * loses it, so pass records on as they are and read `record.value` where needed.
 */
import type { SourceRecord } from './contracts.ts'

export class PackedRecord implements SourceRecord {
  readonly partition: string
  readonly offset: number
  readonly nextOffset: number
  readonly key: string | null
  readonly timestampMs: number | undefined
  readonly headers: Readonly<Record<string, string>> | undefined
  readonly #chunk: Buffer
  readonly #start: number
  readonly #end: number

  /** The record's bytes are `chunk[start, end)`, copied there from `record.value` (`chunkPacker`). */
  constructor(record: SourceRecord, chunk: Buffer, start: number, end: number) {
    this.partition = record.partition
    this.offset = record.offset
    this.nextOffset = record.nextOffset
    this.key = record.key
    this.timestampMs = record.timestampMs
    this.headers = record.headers
    this.#chunk = chunk
    this.#start = start
    this.#end = end
  }

  /** The record's bytes as the source gave them (a view of its chunk's buffer). */
  get value(): Buffer {
    return this.#chunk.subarray(this.#start, this.#end)
  }
}

/**
 * Packs the records of one chunk that become entries, in turn, into one buffer. It has room for the values of `records`
 * of `maxBytes` at most (a larger one is a dead letter, and must not make the buffer as large as itself), and is not
 * from Node's shared pool (which it would keep alive).
 *
 * @example
 * const pack = chunkPacker(records, 1 << 20)
 * const record = pack(records[0])  // a PackedRecord whose value is a view of the chunk's buffer
 */
export function chunkPacker(records: readonly SourceRecord[], maxBytes: number): (record: SourceRecord) => PackedRecord {
  let total = 0
  for (let i = 0; i < records.length; i++) {
    const n = records[i]!.value.length
    if (n <= maxBytes) total += n
  }
  const chunk = Buffer.allocUnsafeSlow(total)
  let packed = 0
  return (record) => {
    const start = packed
    chunk.set(record.value, start)
    packed += record.value.length
    return new PackedRecord(record, chunk, start, packed)
  }
}
