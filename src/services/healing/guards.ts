// What keeps automation from looping or piling on: the kill switch, flapping anomalies, a
// cooldown per component and action type, a cap per component per hour and a global budget
// per minute. They hold only what the engine decides itself; an action someone asked for
// explicitly is theirs to ask for (and may need approval instead).
import type { HealingConfig } from '../../config.js'
import type { HealingMode } from '../../db/self-healing-mode.js'
import type { RecentAutomatic } from '../../db/healing-actions.js'

export type GuardName = 'mode_off' | 'flapping' | 'cooldown' | 'component_cap' | 'global_budget'

export interface Hold {
  guard: GuardName
  reason: string
}

export type GuardLimits = Pick<HealingConfig, 'cooldownMs' | 'maxActionsPerComponentPerHour' | 'budgetPerMinute'>

export interface GuardInput {
  mode: HealingMode
  flapping: boolean
  componentName: string
  actionType: string
  recent: RecentAutomatic
}

/** The first guard that holds the action, in order of how much an operator needs to know it. */
export function holdFor(input: GuardInput, limits: GuardLimits): Hold | null {
  if (input.mode === 'off')
    return { guard: 'mode_off', reason: 'automatic healing is switched off (PUT /v1/self-healing/mode)' }
  if (input.flapping)
    return {
      guard: 'flapping',
      reason: `${input.componentName} is flapping (opening and closing anomalies); acting on it automatically could make it worse`
    }
  if (input.recent.same_type_in_cooldown > 0) {
    return {
      guard: 'cooldown',
      reason: `${input.actionType} already ran automatically on ${input.componentName} within the cooldown of ${Math.round(limits.cooldownMs / 1000)} s`
    }
  }
  if (input.recent.component_last_hour >= limits.maxActionsPerComponentPerHour) {
    return {
      guard: 'component_cap',
      reason: `${input.componentName} already had ${input.recent.component_last_hour} automatic actions in the last hour (cap ${limits.maxActionsPerComponentPerHour})`
    }
  }
  if (input.recent.all_last_minute >= limits.budgetPerMinute) {
    return {
      guard: 'global_budget',
      reason: `${input.recent.all_last_minute} automatic actions in the last minute across all components (budget ${limits.budgetPerMinute})`
    }
  }
  return null
}
