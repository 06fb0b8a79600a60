/**
 * An entry's source record on its way to the commit, its bytes held as the
 * text they decoded to instead of the source's Buffer.
 *
 * A Buffer is an ArrayBuffer with memory outside V8's heap that the collector
 * tracks and sweeps one by one; a record keeps its Buffer alive until its batch
 * commits, through several collections. Letting it go at the parse took a
 * replay of the embedded store from 54% and 61% to 67% and 64% of the ceiling,
 * and 4–6 CPU µs a message off the engine row (alternating runs; BENCHMARKS.md,
 * *Round 5*). Nothing after the parse reads an entry's bytes except a dead
 * letter made of it later (an embedding or the store refused it): `value`
 * gives the bytes back then, exactly, since a fatal UTF-8 decode that keeps
 * the byte-order mark is undone by encoding again.
 *
 * `value` is a getter: a record spread (`{ ...record }`) or structured-cloned
 * loses it, so pass records on as they are and read `record.value` where needed.
 */
import type { SourceRecord } from './contracts.ts'

export class DecodedRecord implements SourceRecord {
  readonly partition: string
  readonly offset: number
  readonly nextOffset: number
  readonly key: string | null
  readonly timestampMs: number | undefined
  readonly headers: Readonly<Record<string, string>> | undefined
  readonly #text: string

  /** `text` is what a fatal UTF-8 decoder that keeps a byte-order mark made of `record.value`. */
  constructor(record: SourceRecord, text: string) {
    this.partition = record.partition
    this.offset = record.offset
    this.nextOffset = record.nextOffset
    this.key = record.key
    this.timestampMs = record.timestampMs
    this.headers = record.headers
    this.#text = text
  }

  /** The record's bytes as the source gave them. */
  get value(): Buffer {
    return Buffer.from(this.#text, 'utf8')
  }
}
