// Whether an Accept header (RFC 9110 §12.5.1) admits a media type: the most specific media
// range matching it gives its weight, and a weight of 0 excludes it. Parameters other than q
// are ignored; a range that is not type/subtype is skipped.
interface MediaRange {
  type: string
  subtype: string
  q: number
}

function mediaRanges(accept: string): MediaRange[] {
  return accept.split(',').flatMap(part => {
    const [range = '', ...parameters] = part.split(';').map(item => item.trim().toLowerCase())
    const [type, subtype, ...rest] = range.split('/')
    if (type === undefined || subtype === undefined || type === '' || subtype === '' || rest.length > 0) return []
    const weight = parameters.find(parameter => parameter.startsWith('q='))?.slice(2)
    const q = weight === undefined ? 1 : Number(weight)
    return Number.isFinite(q) ? [{ type, subtype, q }] : []
  })
}

// The most specific range matching a type decides its weight (RFC 9110 §12.5.1).
function weightOf(mediaType: string, ranges: MediaRange[]): number {
  const [type, subtype] = mediaType.toLowerCase().split('/')
  const specificity = (range: MediaRange): number =>
    range.type === type && range.subtype === subtype
      ? 2
      : range.type === type && range.subtype === '*'
        ? 1
        : range.type === '*' && range.subtype === '*'
          ? 0
          : -1
  let best: MediaRange | undefined
  for (const range of ranges)
    if (specificity(range) >= 0 && (best === undefined || specificity(range) > specificity(best))) best = range
  return best?.q ?? 0
}

/** Whether an Accept header admits one of the types; one naming no media range admits all. */
export function admits(accept: string | undefined, types: string[]): boolean {
  const ranges = accept === undefined ? [] : mediaRanges(accept)
  return ranges.length === 0 || types.some(type => weightOf(type, ranges) > 0)
}
