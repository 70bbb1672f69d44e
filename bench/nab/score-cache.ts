// Raw anomaly scores per NAB file and parameter set, kept on disk under .data/nab-scores so a
// parameter search pays for each (parameters, file) pair once: threshold sweeps and the
// leave-one-out choices then run on cached scores in seconds. The key covers the parameters and
// the scorer's source (src/lib/anomaly), so a change to either computes afresh.
import { createHash } from 'node:crypto'
import { mkdirSync, readFileSync, readdirSync, writeFileSync, existsSync } from 'node:fs'
import path from 'node:path'

export function scorerFingerprint(sourceDir: string, params: unknown): string {
  const hash = createHash('sha256').update(JSON.stringify(params))
  for (const file of readdirSync(sourceDir).sort()) hash.update(file).update(readFileSync(path.join(sourceDir, file)))
  return hash.digest('hex').slice(0, 16)
}

/** The cached scores of `name` under `fingerprint`, or `compute`d and stored. */
export function cachedScores(
  cacheDir: string,
  fingerprint: string,
  name: string,
  compute: () => Float64Array
): { scores: Float64Array; cached: boolean } {
  const file = path.join(cacheDir, fingerprint, `${name.replace(/[/\\]/g, '__')}.f64`)
  if (existsSync(file)) {
    const bytes = readFileSync(file)
    return { scores: new Float64Array(bytes.buffer, bytes.byteOffset, bytes.length / 8).slice(), cached: true }
  }
  const scores = compute()
  mkdirSync(path.dirname(file), { recursive: true })
  writeFileSync(file, Buffer.from(scores.buffer, scores.byteOffset, scores.byteLength))
  return { scores, cached: false }
}

/** The key of a detector whose source is the given files (research detectors in bench/nab). */
export function filesFingerprint(files: string[], params: unknown): string {
  const hash = createHash('sha256').update(JSON.stringify(params))
  for (const file of files) hash.update(path.basename(file)).update(readFileSync(file))
  return hash.digest('hex').slice(0, 16)
}
