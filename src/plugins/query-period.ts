// A period whose `until` comes before its `since` selects nothing by construction. Every route
// that takes both refuses it as a 400 naming `until`, rather than answering an empty list or a
// report of zeros that a caller would read as "nothing happened then".
import fp from 'fastify-plugin'
import { InvalidFields } from '../errors.js'

export default fp(
  async app => {
    app.addHook('preHandler', async request => {
      const query = request.query as { since?: unknown; until?: unknown } | undefined
      if (typeof query?.since !== 'string' || typeof query.until !== 'string') return
      if (Date.parse(query.until) < Date.parse(query.since))
        throw new InvalidFields([{ path: '/querystring/until', message: 'must be at or after since' }])
    })
  },
  { name: 'query-period' }
)
