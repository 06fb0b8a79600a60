/**
 * A worker thread with a SQLite connection of its own, for the embedded
 * store's work that need not hold up the main thread (its upserts, its id
 * look-ups). Requests go in order and each gets its answer or its error.
 *
 * The worker is plain JavaScript evaluated from a string, with better-sqlite3
 * loaded from the path the main thread resolved: it runs the same from the
 * TypeScript sources (tsx registered in the main thread only) and from the
 * compiled build. A thread's own script defines `handle(message)`, whose
 * return value is the answer; it runs after `db` (the connection) is open.
 */
import { createRequire } from 'node:module'
import { Worker } from 'node:worker_threads'
import { leaveYoungGenerationToThreads } from '../runtime/heap.ts'

/** A failed request: `stage` says whether SQLite (`sqlite`, a SQLite error code), an fsync (`sync`, an errno code) or the thread itself failed. */
export class SqliteThreadError extends Error {
  override readonly name = 'SqliteThreadError'
  constructor(
    message: string,
    readonly stage: 'sqlite' | 'sync' | 'worker',
    readonly code: string | undefined,
  ) {
    super(message)
  }
}

export interface SqliteThreadOptions {
  /** What the thread does (shown in its errors): "writer", "reader". */
  readonly role: string
  readonly path: string
  /** The connection's page cache, MiB. */
  readonly cacheMb: number
  /** The thread's own JavaScript: defines `function handle(m)`; `db` and `workerData` are in scope. */
  readonly script: string
  /** More data for the script, as `workerData`. */
  readonly data?: Record<string, unknown>
}

export interface SqliteThread {
  request<T>(message: Record<string, unknown>, transfer?: ArrayBuffer[]): Promise<T>
  /** Finishes the requests in flight and stops the thread. */
  close(): Promise<void>
}

interface Answer {
  readonly seq: number
  readonly ok?: true
  readonly result?: unknown
  readonly stage?: 'sqlite' | 'sync'
  readonly code?: string
  readonly message?: string
}

const prelude = `
const { parentPort, workerData } = require('node:worker_threads')
const Database = require(workerData.betterSqlite3)
const db = new Database(workerData.path)
db.pragma('journal_mode = WAL')
db.pragma('synchronous = NORMAL')
db.pragma('busy_timeout = 30000')
db.pragma('cache_size = -' + workerData.cacheKib)
db.pragma('wal_autocheckpoint = 10000')
`
const loop = `
parentPort.on('message', (m) => {
  if (m.close) { db.close(); parentPort.postMessage({ seq: m.seq, ok: true }); return }
  let result
  try { result = handle(m) } catch (err) { parentPort.postMessage({ seq: m.seq, stage: err.stage || 'sqlite', code: err.code, message: err.message }); return }
  // Bytes an answer made are moved to the asking thread, not copied.
  parentPort.postMessage({ seq: m.seq, ok: true, result }, result instanceof Uint8Array ? [result.buffer] : [])
})
`

/**
 * @example
 * const reader = startSqliteThread({ role: 'reader', path, cacheMb: 16, script: 'function handle(m) { return 1 }' })
 * await reader.request<number>({})
 */
export function startSqliteThread(opts: SqliteThreadOptions): SqliteThread {
  const require = createRequire(import.meta.url)
  leaveYoungGenerationToThreads()
  const worker = new Worker(prelude + opts.script + loop, {
    eval: true,
    // What a thread allocates (a batch's strings, a look-up's answer) dies within its request: a small young generation
    // collects it as often as needed. V8's default let each thread's grow to tens of MB, 50 MB more peak RSS draining a
    // 1,000,000-message backlog with two writes in flight, for no gain in rate (measured).
    resourceLimits: { maxYoungGenerationSizeMb: 4 },
    workerData: { ...opts.data, path: opts.path, cacheKib: opts.cacheMb * 1024, betterSqlite3: require.resolve('better-sqlite3') },
  })
  const pending = new Map<number, { resolve: (result: unknown) => void; reject: (err: Error) => void }>()
  let seq = 0
  let dead: Error | undefined
  // The worker keeps the process alive only while a request is in flight.
  worker.unref()

  const settle = (n: number, err: Error | undefined, result?: unknown) => {
    const p = pending.get(n)
    if (!p) return
    pending.delete(n)
    if (pending.size === 0) worker.unref()
    if (err) p.reject(err)
    else p.resolve(result)
  }
  const fail = (err: Error) => {
    dead ??= err
    for (const n of [...pending.keys()]) settle(n, err)
  }
  worker.on('message', (a: Answer) => settle(a.seq, a.ok ? undefined : new SqliteThreadError(a.message ?? 'failed', a.stage ?? 'sqlite', a.code), a.result))
  worker.on('error', (err) => fail(new SqliteThreadError(`the embedded store's ${opts.role} thread failed: ${err.message}`, 'worker', (err as NodeJS.ErrnoException).code)))
  worker.on('exit', (code) => fail(new SqliteThreadError(`the embedded store's ${opts.role} thread exited (${code})`, 'worker', undefined)))

  const request = <T>(message: Record<string, unknown>, transfer: ArrayBuffer[] = []): Promise<T> =>
    new Promise<T>((resolve, reject) => {
      if (dead) return reject(dead)
      const n = ++seq
      if (pending.size === 0) worker.ref()
      pending.set(n, { resolve: resolve as (result: unknown) => void, reject })
      worker.postMessage({ ...message, seq: n }, transfer)
    })

  return {
    request,
    async close() {
      if (!dead) await request({ close: true }).catch(() => undefined)
      await worker.terminate()
    },
  }
}
