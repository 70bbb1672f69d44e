// Silence matchers, with Alertmanager's semantics: a regex is anchored at both ends, a field the
// signal lacks compares as the empty string, all matchers must hold, and a silence must have at
// least one matcher that the empty string does not satisfy (so no silence holds everything).
// A caller's regex runs on every decision, so it is refused unless it is short and its star
// height is at most one (safe-regex2, the check Fastify's router uses): nested quantifiers are
// what make a backtracking engine take exponential time.
import safeRegex from 'safe-regex2'
import { InvalidFields } from '../../errors.js'
import type { MatcherInput } from '../../schemas/silences.js'

export type StoredMatcher = Required<MatcherInput>

/** What a matcher can be compared with: a signal's fields and its Alertmanager labels. */
export interface SignalFields {
  component_name: string
  component_type: string | null
  anomaly_type: string
  severity: string
  environment: string | null
  labels: Record<string, string>
}

export const MAX_REGEX_LENGTH = 256

function anchored(value: string): RegExp {
  return new RegExp(`^(?:${value})$`, 'u')
}

function regexProblem(value: string): string | null {
  if (value.length > MAX_REGEX_LENGTH) return `is longer than ${MAX_REGEX_LENGTH} characters`
  let compiled: RegExp
  try {
    compiled = anchored(value)
  } catch (err) {
    return `is not a regular expression: ${(err as Error).message}`
  }
  if (!safeRegex(compiled)) return 'may take exponential time (nested quantifiers such as (a+)+); write it without them'
  return null
}

/** The matchers with their defaults, or a 400 naming each bad one under `path`. */
export function checkMatchers(matchers: MatcherInput[], path: string): StoredMatcher[] {
  const stored = matchers.map(matcher => ({
    name: matcher.name,
    value: matcher.value,
    is_regex: matcher.is_regex ?? false,
    is_equal: matcher.is_equal ?? true
  }))
  const problems: Array<{ path: string; message: string }> = []
  stored.forEach((matcher, i) => {
    if (!matcher.is_regex) return
    const problem = regexProblem(matcher.value)
    if (problem !== null) problems.push({ path: `${path}/${i}/value`, message: problem })
  })
  if (problems.length > 0) throw new InvalidFields(problems)
  if (stored.every(matcher => matches(matcher, '')))
    throw new InvalidFields([
      { path, message: 'at least one matcher must not match the empty string, or the silence would hold every signal' }
    ])
  return stored
}

function fieldOf(signal: SignalFields, name: string): string {
  if (name.startsWith('label:')) return signal.labels[name.slice('label:'.length)] ?? ''
  switch (name) {
    case 'component_name':
      return signal.component_name
    case 'component_type':
      return signal.component_type ?? ''
    case 'anomaly_type':
      return signal.anomaly_type
    case 'severity':
      return signal.severity
    case 'environment':
      return signal.environment ?? ''
    default:
      return ''
  }
}

function matches(matcher: StoredMatcher, value: string): boolean {
  const equal = matcher.is_regex ? anchored(matcher.value).test(value) : matcher.value === value
  return equal === matcher.is_equal
}

export function silences(matchers: StoredMatcher[], signal: SignalFields): boolean {
  return matchers.every(matcher => matches(matcher, fieldOf(signal, matcher.name)))
}

/** A matcher value that matches `literal` exactly, for building a regex out of text. */
export function escapeRegex(literal: string): string {
  return literal.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')
}
