// Monthly partitions of system_health_events, through the migration's own function.
import type { Tx } from './client.js'

/** Creates the partitions from this month through `monthsAhead` months on; returns how many were new. */
export async function createHealthEventPartitions(tx: Tx, monthsAhead: number): Promise<number> {
  const [row] = await tx<Array<{ created: number }>>`
    select core314.create_health_event_partitions(now(), now() + make_interval(months => ${monthsAhead})) as created`
  return row?.created ?? 0
}
