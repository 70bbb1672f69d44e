// Connection-time half of the target policy: a host is resolved once, every address it resolves
// to is checked, and the client connects to exactly the addresses checked, so a DNS answer that
// changes between registration and use (rebinding) cannot steer the engine inward.
import { lookup } from 'node:dns/promises'
import type { LookupAddress } from 'node:dns'
import type { LookupFunction } from 'node:net'
import { addressRefusal, nameAllowed, readHost, type TargetPolicy } from '../../lib/address-policy.js'

export const TARGET_REFUSED = 'TARGET_REFUSED'

/** A connection the policy forbids. Its message names the range, never the port or the path. */
export class TargetRefused extends Error {
  readonly code = TARGET_REFUSED
  constructor(message: string) {
    super(message)
    this.name = 'TargetRefused'
  }
}

export function isTargetRefused(error: unknown): error is TargetRefused {
  if (error instanceof TargetRefused) return true
  return (
    error instanceof Error && (isTargetRefused(error.cause) || (error as NodeJS.ErrnoException).code === TARGET_REFUSED)
  )
}

/** The refusal behind an error (fetch wraps it in "fetch failed"), or undefined for any other failure. */
export function refusalOf(error: unknown): Error | undefined {
  if (!(error instanceof Error)) return undefined
  if (error instanceof TargetRefused || (error as NodeJS.ErrnoException).code === TARGET_REFUSED) return error
  return refusalOf(error.cause)
}

function family(address: string): 4 | 6 {
  return address.includes(':') ? 6 : 4
}

/** The addresses to connect to for a host, every one of them allowed; throws TargetRefused otherwise. */
export async function resolveChecked(raw: string, policy: TargetPolicy): Promise<LookupAddress[]> {
  const host = readHost(raw)
  if (host === undefined) throw new TargetRefused('the host is not a host name or address')
  if (host.kind === 'address') {
    const refused = addressRefusal(host.address, policy)
    if (refused !== undefined)
      throw new TargetRefused(
        `the host is a ${refused} address, which the service may not call unless HEAL_ALLOWED_TARGETS lists it`
      )
    const address = host.address.toString()
    return [{ address, family: family(address) }]
  }
  const addresses = await lookup(host.name, { all: true, verbatim: true })
  if (nameAllowed(host.name, policy)) return addresses
  for (const { address } of addresses) {
    const refused = addressRefusal(address, policy)
    if (refused !== undefined)
      throw new TargetRefused(
        `the host resolves to a ${refused} address, which the service may not call unless HEAL_ALLOWED_TARGETS lists it`
      )
  }
  return addresses
}

/** The first checked address of a host, for clients that take an address instead of a lookup hook. */
export async function checkedAddress(raw: string, policy: TargetPolicy): Promise<string> {
  const [first] = await resolveChecked(raw, policy)
  if (first === undefined) throw new TargetRefused('the host resolves to no address')
  return first.address
}

/** A net.connect `lookup` that only ever hands the socket checked addresses. */
export function checkedLookup(policy: TargetPolicy): LookupFunction {
  return (hostname, options, callback) => {
    resolveChecked(hostname, policy)
      .then(found => {
        const wanted =
          options.family === 4 || options.family === 6 ? found.filter(entry => entry.family === options.family) : found
        const [first] = wanted
        if (first === undefined) throw new TargetRefused('the host resolves to no address of the wanted family')
        if (options.all === true) callback(null, wanted)
        else callback(null, first.address, first.family)
      })
      .catch((error: unknown) => {
        callback(error as NodeJS.ErrnoException, '', 0)
      })
  }
}
