// Checks the LLM's reply before anything trusts it. The model's output is as untrusted as its
// input: it must be one JSON object of the expected shape, or the rule-based analysis stands.
// Fields the model adds beyond the shape are dropped rather than stored.
import { Type } from 'typebox'
import { Value } from 'typebox/value'
import type { AnalysisContent, ProposedAction } from './types.js'

const Text = (maxLength: number) => Type.String({ minLength: 1, maxLength })

const ReplySchema = Type.Object({
  summary: Text(2000),
  root_cause: Text(4000),
  actions: Type.Array(Type.Object({ action_type: Text(100), reason: Text(2000) }), { maxItems: 20 }),
  business_impact: Text(2000),
  evidence: Type.Array(
    Type.Object({ claim: Text(2000), metrics: Type.Array(Text(200), { minItems: 1, maxItems: 20 }) }),
    { minItems: 1, maxItems: 20 }
  )
})

export type ParsedReply = { ok: true; content: AnalysisContent } | { ok: false; detail: string }

// Some OpenAI-compatible servers wrap JSON in a Markdown fence even in JSON mode.
function unfence(text: string): string {
  const match = /^```(?:json)?\s*([\s\S]*?)\s*```$/.exec(text.trim())
  return match?.[1] ?? text
}

export function parseReply(text: string): ParsedReply {
  let value: unknown
  try {
    value = JSON.parse(unfence(text))
  } catch {
    return { ok: false, detail: 'reply is not JSON' }
  }
  if (!Value.Check(ReplySchema, value)) {
    const [first] = Value.Errors(ReplySchema, value)
    return { ok: false, detail: `reply ${first?.instancePath || '/'} ${first?.message ?? 'has the wrong shape'}` }
  }
  return {
    ok: true,
    content: {
      summary: value.summary,
      root_cause: value.root_cause,
      actions: value.actions.map(({ action_type, reason }) => ({ action_type, reason })),
      business_impact: value.business_impact,
      evidence: value.evidence.map(({ claim, metrics }) => ({ claim, metrics }))
    }
  }
}

/** Keeps the allowed actions, once each, in the model's order: the LLM proposes, never executes. */
export function allowedOnly(actions: ProposedAction[], allowedActions: readonly string[]): ProposedAction[] {
  const allowed = new Set(allowedActions)
  const seen = new Set<string>()
  return actions.filter(({ action_type: type }) => {
    if (!allowed.has(type) || seen.has(type)) return false
    seen.add(type)
    return true
  })
}
