// Detectors from NAB's own repository, re-implemented only to check this scoring code against the
// published results/final_results.json: a faithful copy of a published detector must land on its
// published score. They are not used by the service.
import { normalTail } from '../../src/lib/anomaly/robust-stats.js'

export type Detector = (values: number[]) => Float64Array

/** nab/detectors/gaussian/windowedGaussian_detector.py: 6400-row window slid 100 rows at a time. */
export function windowedGaussian(values: number[]): Float64Array {
  const windowSize = 6400
  const stepSize = 100
  const scores = new Float64Array(values.length)
  let window: number[] = []
  let buffer: number[] = []
  let mean = 0
  let std = 1
  const update = (): void => {
    mean = window.reduce((sum, x) => sum + x, 0) / window.length
    std = Math.sqrt(window.reduce((sum, x) => sum + (x - mean) ** 2, 0) / window.length)
    if (std === 0) std = 0.000001
  }
  values.forEach((value, i) => {
    if (window.length > 0) {
      // nupic's normalProbability mirrors values below the mean onto the upper tail.
      const mirrored = value < mean ? 2 * mean - value : value
      scores[i] = 1 - normalTail(mirrored, mean, std)
    }
    if (window.length < windowSize) {
      window.push(value)
      update()
    } else {
      buffer.push(value)
      if (buffer.length === stepSize) {
        window = window.slice(stepSize).concat(buffer)
        buffer = []
        update()
      }
    }
  })
  return scores
}

/** A detector that never fires: NAB's normalisation floor. */
export function nullDetector(values: number[]): Float64Array {
  return new Float64Array(values.length)
}
