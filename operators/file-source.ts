/**
 * File source: the lines of one file as records, its byte positions as offsets,
 * so a restart continues at the first byte not committed. It can follow a
 * growing file. Reads block by block, waiting on the flow control before each
 * chunk, so memory stays bounded whatever the file's size.
 */
import { open } from 'node:fs/promises'
import { resolve } from 'node:path'
import { Observable } from 'rxjs'
import type { Positions, Source, SourceContext, SourceRecord } from './contracts.ts'

export interface FileSourceOptions {
  readonly path: string
  /** Keep reading as the file grows instead of completing at its end. */
  readonly follow?: boolean
  /** Records per chunk handed to the pipeline. */
  readonly chunkSize?: number
  /** Longest line kept whole; the rest of a longer line is skipped (the record says how long it was). */
  readonly maxLineBytes?: number
  /** How often a followed file is checked for growth. */
  readonly pollMs?: number
  /** Bytes read per call. */
  readonly blockSize?: number
}

const NEWLINE = 0x0a

export function createFileSource(opts: FileSourceOptions): Source {
  const path = resolve(opts.path)
  const partition = `file:${path}`
  const chunkSize = opts.chunkSize ?? 512
  const maxLineBytes = opts.maxLineBytes ?? 1 << 20
  const blockSize = opts.blockSize ?? 1 << 20
  const pollMs = opts.pollMs ?? 250

  return {
    kind: 'file',
    describe: path,
    open(ctx: SourceContext): Observable<readonly SourceRecord[]> {
      return new Observable<readonly SourceRecord[]>((subscriber) => {
        let stopped = false
        const log = ctx.logger.child({ step: 'source', partition })
        const run = async (): Promise<void> => {
          const handle = await open(path, 'r')
          try {
            let position = ctx.resumeFrom(partition) ?? 0
            const size = (await handle.stat()).size
            if (position > size) {
              log.warn({ position, size }, 'file is shorter than the checkpointed position; it was truncated or replaced, reading from its start')
              position = 0
            }
            log.info({ position, follow: opts.follow ?? false }, position > 0 ? `Resuming ${path} at byte ${position}` : `Reading ${path}`)
            const block = Buffer.allocUnsafe(blockSize)
            // Bytes of the line being assembled, and where it started.
            let pieces: Buffer[] = []
            let lineBytes = 0
            let lineStart = position
            let readPos = position
            let chunk: SourceRecord[] = []
            let fileTimeMs: number | undefined

            const flush = async (): Promise<void> => {
              if (chunk.length === 0) return
              const out = chunk
              chunk = []
              ctx.flow.admit(out.length)
              subscriber.next(out)
              await ctx.flow.whenOpen()
            }
            const endLine = (nextOffset: number): void => {
              const value = pieces.length === 1 ? pieces[0]! : Buffer.concat(pieces)
              const truncated = lineBytes > value.length
              chunk.push({
                partition,
                offset: lineStart,
                nextOffset,
                key: null,
                fileTimeMs,
                value: value.length > 0 && value[value.length - 1] === 0x0d ? value.subarray(0, -1) : value,
                headers: truncated ? { original_length: String(lineBytes) } : undefined,
              })
              pieces = []
              lineBytes = 0
              lineStart = nextOffset
            }

            while (!stopped && !ctx.signal.aborted) {
              await ctx.flow.whenOpen()
              const { bytesRead } = await handle.read(block, 0, blockSize, readPos)
              if (bytesRead === 0) {
                if (!opts.follow) break
                await flush()
                await sleep(pollMs, ctx.signal)
                continue
              }
              // Read after the bytes: no line read is newer than it.
              fileTimeMs = plausibleFileTime((await handle.stat()).mtimeMs)
              let start = 0
              for (;;) {
                const nl = block.indexOf(NEWLINE, start)
                const end = nl === -1 || nl >= bytesRead ? bytesRead : nl
                const take = Math.min(end - start, Math.max(0, maxLineBytes + 1 - lineBytes))
                if (take > 0) pieces.push(Buffer.from(block.subarray(start, start + take)))
                lineBytes += end - start
                if (end === bytesRead) break
                endLine(readPos + nl + 1)
                start = nl + 1
                if (chunk.length >= chunkSize) await flush()
              }
              readPos += bytesRead
            }
            // A last line without a newline is complete once the file is not followed.
            if (!opts.follow && lineBytes > 0 && !ctx.signal.aborted && !stopped) endLine(readPos)
            await flush()
          } finally {
            await handle.close()
          }
        }
        run().then(
          () => subscriber.complete(),
          (err) => subscriber.error(err),
        )
        return () => {
          stopped = true
        }
      })
    },
    async commit(_positions: Positions): Promise<void> {
      // The checkpoint store holds file positions; nothing else to tell.
    },
    async close(): Promise<void> {},
  }
}

// Before 2000 a modification time says nothing of when the lines were written (archives and build tools set 0 or 1).
const OLDEST_FILE_TIME_MS = Date.UTC(2000, 0, 1)

/** A file's modification time as the time its lines are not newer than; undefined (the clock then) when it is before 2000 or ahead of the clock. */
export function plausibleFileTime(mtimeMs: number, nowMs = Date.now()): number | undefined {
  return mtimeMs >= OLDEST_FILE_TIME_MS && mtimeMs <= nowMs ? mtimeMs : undefined
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolveSleep) => {
    if (signal.aborted) return resolveSleep()
    const timer = setTimeout(done, ms)
    function done(): void {
      clearTimeout(timer)
      signal.removeEventListener('abort', done)
      resolveSleep()
    }
    signal.addEventListener('abort', done, { once: true })
  })
}
