// The characters a name may hold: component names, types and environments, channel and ingest
// key names, and everything else a caller chooses to identify a thing by. Names are shown in
// messages, logs, the console and notifications, so a character that is invisible or moves
// text there is refused: a bidirectional override or isolate (U+202E makes "checkout-api is
// down" read backwards), a direction mark, a zero-width or other format character, a control
// character (NUL, newlines, escapes that forge log lines or colour a terminal), or a line or
// paragraph separator. The API's schemas and the ingest paths that derive names from outside
// payloads (OTLP, Alertmanager) apply the same rule.

// The rule is spelled in \u escapes of the Basic Multilingual Plane, so it reads the same in
// every regular expression dialect that checks it: Ajv here (with the u flag), and without the
// flag in OpenAPI tools that validate examples and in generated clients. Unicode property
// escapes (\p{Cf}) would mean something else without the flag. What it refuses: C0 and C1
// controls, the soft hyphen, the Arabic and Syriac format characters, the Mongolian vowel
// separator, zero-width spaces and joiners, direction marks, the line and paragraph separators,
// bidirectional embeddings, overrides and isolates, invisible operators, the byte order mark
// and interlinear annotation characters: every format or control character of that plane.
// Format characters beyond it (the tag characters U+E0000-E007F among them) are not refused.
export const NAME_PATTERN =
  '^[^\\u0000-\\u001F\\u007F-\\u009F\\u00AD\\u0600-\\u0605\\u061C\\u06DD\\u070F\\u0890\\u0891\\u08E2\\u180E\\u200B-\\u200F\\u2028-\\u202E\\u2060-\\u2064\\u2066-\\u206F\\uFEFF\\uFFF9-\\uFFFB]*$'

export const NAME_CHARACTERS_MESSAGE =
  'must not contain control or invisible formatting characters (such as NUL, a newline, a zero-width space or a bidirectional override)'

const ALLOWED = new RegExp(NAME_PATTERN, 'u')

/** Whether the name holds a character the rule refuses. */
export function hasUnsafeCharacter(name: string): boolean {
  return !ALLOWED.test(name)
}

/** A name's length as the schemas count it (JSON Schema's maxLength: code points, not UTF-16 units). */
export function nameLength(name: string): number {
  return [...name].length
}

/** Why a derived name cannot be stored, or undefined when it can: the same rule as the schemas'. */
export function nameProblem(name: string, maxLength: number): string | undefined {
  if (hasUnsafeCharacter(name)) return NAME_CHARACTERS_MESSAGE
  if (nameLength(name) > maxLength) return `is longer than ${maxLength} characters`
  return undefined
}
