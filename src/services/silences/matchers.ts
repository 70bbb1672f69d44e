// Silence matchers, with Alertmanager's semantics: a regex is anchored at both ends, a field the
// signal lacks compares as the empty string, all matchers must hold, and a silence must have at
// least one matcher that the empty string does not satisfy (so no silence holds everything).
// A caller's regex runs on every decision, over label values the caller's own ingest key sends,
// so it runs on RE2 (re2js), whose time is linear in the input whatever the pattern: with
// JavaScript's backtracking engine `(a|a)*b` or `a*a*a*a*b`, which no star-height check refuses,
// froze the whole process for minutes on a 30-character alertname. RE2 is also the syntax
// Alertmanager's own matchers use; it has no lookarounds or backreferences.
import { RE2JS } from 're2js'
import { InvalidFields } from '../../errors.js'
import { growingLru } from '../../lib/growing-lru.js'
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

// Compiled once per pattern: every decision matches every silence of the organization.
const compiled = growingLru<string, RE2JS>(1000)

function compile(value: string): RE2JS {
  let pattern = compiled.get(value)
  if (pattern === undefined) {
    pattern = RE2JS.compile(value)
    compiled.set(value, pattern)
  }
  return pattern
}

function regexProblem(value: string): string | null {
  if (value.length > MAX_REGEX_LENGTH) return `is longer than ${MAX_REGEX_LENGTH} characters`
  try {
    compile(value)
  } catch (err) {
    return `is not an RE2 regular expression (Alertmanager's syntax; no lookarounds or backreferences): ${(err as Error).message}`
  }
  return null
}

/** The whole value matches the pattern. One stored before RE2 that RE2 cannot compile matches nothing. */
function fullMatch(pattern: string, value: string): boolean {
  try {
    return compile(pattern).matches(value)
  } catch {
    return false
  }
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
  const equal = matcher.is_regex ? fullMatch(matcher.value, value) : matcher.value === value
  return equal === matcher.is_equal
}

export function silences(matchers: StoredMatcher[], signal: SignalFields): boolean {
  return matchers.every(matcher => matches(matcher, fieldOf(signal, matcher.name)))
}

/** A matcher value that matches `literal` exactly, for building a regex out of text. */
export function escapeRegex(literal: string): string {
  return literal.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')
}
