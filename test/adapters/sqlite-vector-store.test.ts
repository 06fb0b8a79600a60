import { join } from 'node:path'
import { createSqliteVectorStore } from '../../src/adapters/sqlite-vector-store.ts'
import { vectorStoreContract } from '../helpers/vector-store-contract.ts'
import { tempDir } from '../helpers/temp-dir.ts'

const dirs = new Map<unknown, string>()
vectorStoreContract('embedded store', async (t, { collection, dim }) => {
  // Stores opened by one test share its file, as two jobs on one machine would.
  let dir = dirs.get(t)
  if (!dir) dirs.set(t, (dir = tempDir(t)))
  return createSqliteVectorStore({ path: join(dir, 'vectors.sqlite'), collection, dim, distance: 'Cosine' })
})
