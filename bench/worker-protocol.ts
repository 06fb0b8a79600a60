/**
 * What a row's worker says on stdout besides its result (its last line):
 * `READY_LINE` once a job's partitions are assigned, for a row that produces
 * while the job runs and must not count the job's start-up as latency.
 */
export const READY_LINE = '{"ready":true}'
