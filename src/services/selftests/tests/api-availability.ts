// The API answering through the app: /readyz says ready, an authenticated route answers a
// token the service signs for itself, and the same route refuses a request without one. It
// goes through every hook a caller's request does (auth, rate limit, validation, the
// database), without a socket, so it tests the app rather than the network.
import { signToken } from '../../auth/tokens.js'
import type { Assertions } from '../assertions.js'
import type { Inject, SelftestDefinition } from '../types.js'

const AUTHENTICATED_URL = '/v1/anomalies?limit=1'

async function get(
  assert: Assertions,
  inject: Inject,
  url: string,
  headers?: Record<string, string>
): Promise<{ statusCode: number; body: string }> {
  return (
    await assert.probe(async () => await inject({ method: 'GET', url, ...(headers === undefined ? {} : { headers }) }))
  ).value
}

export const apiAvailability: SelftestDefinition = {
  name: 'api_availability',
  category: 'api',
  type: 'smoke',
  description: `GET /readyz answers 200 ready; GET ${AUTHENTICATED_URL} answers 200 to a short-lived service token signed with JWT_SECRET and 401 without a token.`,
  version: '1.0.0',
  defaultSchedule: null,
  timeoutSeconds: 15,
  failureSeverity: 'high',
  target: { componentType: 'api', componentName: 'core314-self-healing' },
  parameters: () => ({ readiness_url: '/readyz', authenticated_url: AUTHENTICATED_URL }),
  run: async ({ config, inject, assert }) => {
    if (inject === undefined) {
      assert.skip('api_ready', 'no app to send requests through')
      return
    }
    const ready = await get(assert, inject, '/readyz')
    assert.check(
      'api_ready',
      ready.statusCode === 200,
      {
        pass: '/readyz answers 200',
        fail: `/readyz answers ${ready.statusCode}: ${ready.body.slice(0, 200)}`
      },
      { recommendation: 'The service reports itself not ready: see the database and migrations self-tests' }
    )

    const anonymous = await get(assert, inject, AUTHENTICATED_URL)
    assert.check(
      'api_refuses_anonymous',
      anonymous.statusCode === 401,
      {
        pass: 'a request without a token is refused with 401',
        fail: `a request without a token got ${anonymous.statusCode}`
      },
      {
        security: true,
        recommendation:
          "Authentication is not enforced on the API: restore the route's `allow` list and the auth plugin"
      }
    )

    if (config.jwtSecret === undefined) {
      assert.skip(
        'api_answers_authenticated',
        'tokens are verified through JWKS_URL: the service cannot sign one for itself'
      )
      return
    }
    const token = await signToken(config.jwtSecret, { role: 'service_role' }, '1m')
    const authenticated = await get(assert, inject, AUTHENTICATED_URL, { authorization: `Bearer ${token}` })
    assert.check(
      'api_answers_authenticated',
      authenticated.statusCode === 200,
      {
        pass: `an authenticated GET ${AUTHENTICATED_URL} answers 200`,
        fail: `an authenticated GET ${AUTHENTICATED_URL} answers ${authenticated.statusCode}`
      },
      { recommendation: "Authenticated reads fail: check the logs for the route's error and the database grants" }
    )
  }
}
