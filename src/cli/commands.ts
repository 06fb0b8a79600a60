/**
 * The commands of `logstream`, each in a file of its own under `src/cli/`,
 * loaded only when called.
 */
import type { Command } from './command.ts'

type Loader = () => Promise<Command>

export const COMMANDS: Readonly<Record<string, { summary: string; load: Loader }>> = {
  run: { summary: 'Run the streaming job (file or Kafka → vector store)', load: async () => (await import('./run.ts')).command },
  search: { summary: 'Nearest stored log lines to a text', load: async () => (await import('./search.ts')).command },
  produce: { summary: 'Publish raw HDFS log files to Kafka in the message format', load: async () => (await import('./produce.ts')).command },
  checkpoint: { summary: 'Show or reset a job checkpoint (positions, batches, timings)', load: async () => (await import('./checkpoint.ts')).command },
  'serve-embeddings': { summary: 'Serve the built-in embedder over HTTP on the embedding service contract', load: async () => (await import('./serve-embeddings.ts')).command },
  dlq: { summary: 'List dead letters, or replay them after a fix', load: async () => (await import('./dlq.ts')).command },
  anomalies: { summary: 'New patterns the job announced, with their counts', load: async () => (await import('./anomalies.ts')).command },
  'score-service': { summary: 'Score log lines against the stored history over HTTP (anomaly detection)', load: async () => (await import('./score-service.ts')).command },
  view: { summary: 'Page through stored entries', load: async () => (await import('./view.ts')).command },
  stats: { summary: 'Counts, duplicate ratio and vector distributions of the stored entries (--html for charts)', load: async () => (await import('./stats.ts')).command },
  collections: { summary: 'List, inspect, create, delete or count collections', load: async () => (await import('./collections.ts')).command },
  config: { summary: 'Print the configuration as it resolves (secrets masked), or the reference table', load: async () => (await import('./config-command.ts')).command },
}
