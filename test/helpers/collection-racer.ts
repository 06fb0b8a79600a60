/**
 * A child process for the embedded-store race test: opens the store, says it
 * is ready, spins until the go file appears, then creates the collection at
 * the same instant as its siblings. Prints "ok" or the error code.
 */
import { existsSync, writeFileSync } from 'node:fs'
import { createSqliteVectorStore } from '../../src/adapters/sqlite-vector-store.ts'

const [path, readyFile, goFile] = process.argv.slice(2) as [string, string, string]
const store = createSqliteVectorStore({ path, collection: 'shared', dim: 4, distance: 'Cosine' })
writeFileSync(readyFile, '')
while (!existsSync(goFile)) { /* spin: the race needs every process at the line below at once */ }
try {
  await store.ensureCollection()
  process.stdout.write('ok')
} catch (err) {
  process.stdout.write(String((err as { code?: string }).code ?? err))
} finally {
  await store.close()
}
