// Which timestamps the API accepts: RFC 3339 date-times that PostgreSQL's timestamptz can hold.
// The format admits four-digit years only, so year 300000 and "-infinity" are already out; the
// one it admits that PostgreSQL refuses is year 0 (PostgreSQL counts 1 BC, then 1 AD).
import formats from 'ajv-formats/dist/formats.js'

const dateTime = formats.fullFormats['date-time'] as { validate: (value: string) => boolean }

export function isStorableTimestamp(value: string): boolean {
  return dateTime.validate(value) && !value.startsWith('0000')
}
