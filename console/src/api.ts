// The console's only way to the service: a client generated from openapi/openapi.json
// (api-types.ts, openapi-typescript) through openapi-fetch, with the tab's token on every
// call. Refusals become messages a person can act on.
import createClient from 'openapi-fetch'
import type { paths } from './api-types'
import { REFUSED, currentToken, endSession } from './session'

export type { components } from './api-types'

export const api = createClient<paths>({ baseUrl: location.origin })

api.use({
  onRequest({ request }) {
    const token = currentToken()
    if (token !== null) request.headers.set('authorization', `Bearer ${token}`)
    return request
  }
})

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string
  ) {
    super(message)
  }
}

interface Problem {
  detail?: string
  errors?: Array<{ path: string; message: string }>
}

export function explain(status: number, problem: Problem | undefined, retryAfter: string | null): string {
  const detail = problem?.detail ?? ''
  switch (status) {
    case 400:
      return `The service refused the input: ${(problem?.errors ?? []).map(e => `${e.path} ${e.message}`).join('; ') || detail}`
    case 401:
      return 'Your token is missing, expired or not valid here. Sign in again with a fresh token.'
    case 403:
      return `Your role may not do this${detail === '' ? '' : `: ${detail}`}.`
    case 404:
      return 'Not found, or not visible to you.'
    case 409:
      return `Not possible in its current state (someone may have acted first)${detail === '' ? '' : `: ${detail}`}. The view has been refreshed.`
    case 429:
      return `Too many requests. Try again in ${retryAfter ?? 'a few'} seconds.`
    case 503:
      return `The service is unavailable for a moment (database busy or restarting). Try again in ${retryAfter ?? 'a few'} seconds.`
    default:
      return status >= 500 ? 'The service failed to answer. Try again; if it persists, check its logs.' : detail
  }
}

/** The data of a successful call, or an ApiError with the message to show. */
export async function call<T>(request: Promise<{ data?: T; error?: unknown; response: Response }>): Promise<T> {
  let result: { data?: T; error?: unknown; response: Response }
  try {
    result = await request
  } catch {
    throw new ApiError(0, 'The service cannot be reached. Check your connection; the console retries by itself.')
  }
  const { data, error, response } = result
  if (response.ok) return data as T
  if (response.status === 401) endSession(REFUSED)
  throw new ApiError(
    response.status,
    explain(response.status, error as Problem | undefined, response.headers.get('retry-after'))
  )
}
