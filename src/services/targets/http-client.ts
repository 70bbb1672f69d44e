// Outbound HTTP to control targets through one undici Agent whose sockets resolve names with the
// checked lookup; an address written into the URL is checked before the request, since a socket
// given an address never calls lookup at all.
import { Agent, fetch, type Response } from 'undici'
import { readHost, type TargetPolicy } from '../../lib/address-policy.js'
import { checkedLookup, resolveChecked } from './resolve.js'

const agents = new WeakMap<TargetPolicy, Agent>()

function agentFor(policy: TargetPolicy): Agent {
  let agent = agents.get(policy)
  if (agent === undefined) {
    agent = new Agent({ connect: { lookup: checkedLookup(policy) } })
    agents.set(policy, agent)
  }
  return agent
}

export interface CheckedRequest {
  method: 'POST' | 'HEAD'
  body?: string
  headers?: Record<string, string>
  signal: AbortSignal
}

/**
 * fetch with redirects returned, never followed; with a policy (a control target) the host is
 * checked as it is connected, without one (an operator-configured channel) it is not.
 */
export async function outboundFetch(url: string, request: CheckedRequest, policy?: TargetPolicy): Promise<Response> {
  if (policy !== undefined) {
    const { hostname } = new URL(url)
    // Checking an address needs no lookup; a name is checked by the agent's lookup as it connects.
    if (readHost(hostname)?.kind !== 'name') await resolveChecked(hostname, policy)
  }
  return await fetch(url, {
    method: request.method,
    ...(request.body === undefined ? {} : { body: request.body }),
    headers: request.headers,
    redirect: 'manual',
    signal: request.signal,
    ...(policy === undefined ? {} : { dispatcher: agentFor(policy) })
  })
}
