// The console's volume: 1,000 components reporting over the last 6 hours, 10,000 signals and
// 2,000 recovery actions in one organization (the newest 3,000 signals open: one per component
// and anomaly type, as the service keeps it; the older ones resolved), written in a few set-based statements
// (generate_series) so a benchmark or a browser test has it in seconds. Written as the
// database's superuser with triggers off (session_replication_role = replica, for this
// transaction only): the rows are fixtures, complete as written (a resolved signal carries its
// resolved_at), and 24,000 stream events would only make any open console re-read them.
import type { Sql, Tx } from '../../src/db/client.js'

export const CONSOLE_VOLUME = { components: 1_000, signals: 10_000, actions: 2_000, eventsPerComponent: 12 }

export interface VolumeOwner {
  organizationId: string
  userId: string
}

/** `svc-0001` ... `svc-1000`: every name the same length, so a search for one matches it alone. */
export const componentName = (index: number): string => `svc-${String(index).padStart(4, '0')}`

export async function seedConsoleVolume(sql: Sql, owner: VolumeOwner, volume = CONSOLE_VOLUME): Promise<void> {
  await sql.begin(async tx => {
    await tx`set local session_replication_role = replica`
    await fill(tx, owner, volume)
  })
  await sql`analyze system_health_events, anomaly_signals, recovery_actions`
}

async function fill(sql: Tx, owner: VolumeOwner, volume: typeof CONSOLE_VOLUME): Promise<void> {
  // One event per component every 30 minutes; every 50th component critical, every 10th degraded.
  await sql`
    insert into system_health_events (component_type, component_name, status, latency_ms, latency_p95_ms,
      error_rate, cpu_usage_percent, memory_usage_percent, organization_id, user_id, measurement_window_end)
    select 'edge_function', 'svc-' || lpad(c::text, 4, '0'),
      case when c % 50 = 0 then 'critical' when c % 10 = 0 then 'degraded' else 'healthy' end,
      80 + (c % 40) + step, 160 + (c % 40) * 2 + step * 3, (c % 7) * 0.5, 20 + (c + step) % 60, 40 + c % 30,
      ${owner.organizationId}::uuid, ${owner.userId}::uuid, now() - make_interval(mins => 30 * step + 1)
    from generate_series(1, ${volume.components}) c, generate_series(0, ${volume.eventsPerComponent - 1}) step`
  await sql`
    insert into anomaly_signals (anomaly_type, severity, source_type, source_component_name, baseline_value,
      observed_value, deviation_percentage, pattern_type, root_cause_analysis, organization_id, user_id,
      status, resolved_at, detection_timestamp, created_at)
    select (array['latency_spike', 'error_rate_increase', 'resource_exhaustion'])[i % 3 + 1],
      (array['low', 'medium', 'high', 'critical'])[i % 4 + 1], 'system_health_events',
      'svc-' || lpad((i % ${volume.components} + 1)::text, 4, '0'), 180, 180 + i % 900, (i % 900) / 1.8,
      'sudden_spike', 'seeded signal ' || i, ${owner.organizationId}::uuid, ${owner.userId}::uuid,
      case when i <= ${volume.signals * 0.3} then 'open' else 'resolved' end,
      case when i > ${volume.signals * 0.3} then now() - make_interval(secs => i * 30 - 600) end,
      now() - make_interval(secs => i * 30),
      now() - make_interval(secs => i * 30)
    from generate_series(1, ${volume.signals}) i`
  await sql`
    insert into recovery_actions (action_type, target_component_name, organization_id, user_id, trigger_reason,
      execution_status, approval_status, created_at)
    select 'clear_cache', 'svc-' || lpad((i % ${volume.components} + 1)::text, 4, '0'),
      ${owner.organizationId}::uuid, ${owner.userId}::uuid, 'seeded action ' || i,
      (array['succeeded', 'failed', 'dry_run', 'cancelled'])[i % 4 + 1], 'not_required', now() - make_interval(secs => i * 90)
    from generate_series(1, ${volume.actions}) i`
}
