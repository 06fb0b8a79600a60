/**
 * A child process for the layout race test: spins until the go file appears,
 * then opens the store at the same instant as its siblings and prints what
 * opening did ("moved" or "opened") with the collection's point count, or the
 * error code.
 */
import { existsSync, writeFileSync } from 'node:fs'
import { createSqliteVectorStore } from '../../src/adapters/sqlite-vector-store.ts'

const [path, collection, readyFile, goFile] = process.argv.slice(2) as [string, string, string, string]
writeFileSync(readyFile, '')
while (!existsSync(goFile)) { /* spin: the race needs every process at the line below at once */ }
try {
  let moved = false
  const store = createSqliteVectorStore({ path, collection, dim: 8, distance: 'Cosine', onMigrated: () => (moved = true), onLayout2Moved: () => (moved = true) })
  process.stdout.write(`${moved ? 'moved' : 'opened'} ${await store.count()}`)
  await store.close()
} catch (err) {
  process.stdout.write(String((err as { code?: string }).code ?? err))
}
