// Whether a runbook's trigger covers an anomaly: its type is listed, its severity too (or the
// trigger names none), and every component matcher matches. A matcher's `*` stands for any run
// of characters; nothing else in it is special, so a caller's text never becomes a pattern.
import type { RunbookDocumentValue } from '../../schemas/runbooks.js'

export interface Subject {
  anomaly_type?: string | undefined
  severity?: string | undefined
  component_name: string
  component_type: string | null
}

function globMatches(glob: string, value: string): boolean {
  const parts = glob.split('*')
  const first = parts[0] as string
  const last = parts.at(-1) as string
  if (parts.length === 1) return glob === value
  if (!value.startsWith(first) || value.length < first.length + last.length || !value.endsWith(last)) return false
  let at = first.length
  const end = value.length - last.length
  for (const part of parts.slice(1, -1)) {
    const found = value.indexOf(part, at)
    if (found === -1 || found + part.length > end) return false
    at = found + part.length
  }
  return true
}

/** True or false when the subject names an anomaly type and severity; the components alone otherwise. */
export function triggerMatches(trigger: RunbookDocumentValue['trigger'], subject: Subject): boolean {
  if (subject.anomaly_type !== undefined && !trigger.anomaly_types.includes(subject.anomaly_type)) return false
  if (
    subject.severity !== undefined &&
    trigger.severities !== undefined &&
    !(trigger.severities as string[]).includes(subject.severity)
  )
    return false
  return (trigger.components ?? []).every(matcher => {
    const value = matcher.name === 'component_name' ? subject.component_name : subject.component_type
    return value !== null && globMatches(matcher.value, value)
  })
}
