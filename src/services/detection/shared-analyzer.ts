// One root-cause analyzer per app, so its breaker and its one-hour cache outlive a single run:
// the route and the detect job of the same app reach the same instance through the app's config
// object, and separate apps (tests build many) never share one.
import type { Config } from '../../config.js'
import { createRootCauseAnalyzer, type RootCauseAnalyzer } from '../analysis/index.js'

const analyzers = new WeakMap<Config, RootCauseAnalyzer>()

export function analyzerFor(config: Config): RootCauseAnalyzer {
  let analyzer = analyzers.get(config)
  if (analyzer === undefined) {
    analyzer = createRootCauseAnalyzer({
      apiKey: config.openaiApiKey,
      baseUrl: config.openaiBaseUrl,
      model: config.openaiModel
    })
    analyzers.set(config, analyzer)
  }
  return analyzer
}
