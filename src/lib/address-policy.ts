// Where control targets may point: public unicast addresses, and whatever HEAL_ALLOWED_TARGETS
// lists besides. A host is read the way a resolver would read it (WHATWG's host parser takes
// 2130706433, 0x7f.1, 0177.0.0.1, 127.1 and a trailing dot to the address they mean), so no
// spelling of a loopback, private, link-local, CGNAT, metadata or unspecified address passes.
import ipaddr from 'ipaddr.js'

type Address = ipaddr.IPv4 | ipaddr.IPv6

export interface TargetPolicy {
  /** Lower-case host names (no trailing dot) allowed whatever they resolve to. */
  hosts: Set<string>
  ranges: Array<[Address, number]>
}

export type Host = { kind: 'address'; address: Address } | { kind: 'name'; name: string }

/** Why an HEAL_ALLOWED_TARGETS entry is unusable, or undefined when it is a host, address or CIDR. */
export function allowEntryProblem(entry: string): string | undefined {
  if (entry.includes('/'))
    return ipaddr.isValidCIDR(entry) ? undefined : 'is not a CIDR range such as 10.0.0.0/8 or fd00::/8'
  return readHost(entry) === undefined ? 'is not a host name or address' : undefined
}

export function targetPolicy(allowed: string[]): TargetPolicy {
  const policy: TargetPolicy = { hosts: new Set(), ranges: [] }
  for (const entry of allowed) {
    if (entry.includes('/')) {
      const [address, bits] = ipaddr.parseCIDR(entry)
      policy.ranges.push([
        canonical(address),
        address.kind() === 'ipv6' && canonical(address).kind() === 'ipv4' ? Math.max(bits - 96, 0) : bits
      ])
      continue
    }
    const host = readHost(entry)
    if (host?.kind === 'address') policy.ranges.push([host.address, host.address.kind() === 'ipv4' ? 32 : 128])
    else if (host?.kind === 'name') policy.hosts.add(host.name)
  }
  return policy
}

// An IPv4-mapped IPv6 address (::ffff:127.0.0.1) is the IPv4 address it carries.
function canonical(address: Address): Address {
  return address instanceof ipaddr.IPv6 && address.isIPv4MappedAddress() ? address.toIPv4Address() : address
}

/** A URL's host as a resolver sees it: an address in any spelling, or a name. */
export function readHost(raw: string): Host | undefined {
  let hostname: string
  try {
    hostname = new URL(`http://${raw.includes(':') && !raw.startsWith('[') ? `[${raw}]` : raw}/`).hostname
  } catch {
    return undefined
  }
  const bare = hostname.startsWith('[') ? hostname.slice(1, -1) : hostname
  if (ipaddr.isValid(bare) && (bare.includes(':') || ipaddr.IPv4.isValidFourPartDecimal(bare))) {
    return { kind: 'address', address: canonical(ipaddr.parse(bare)) }
  }
  const name = bare.replace(/\.$/, '')
  return name === '' ? undefined : { kind: 'name', name }
}

function listed(address: Address, policy: TargetPolicy): boolean {
  return policy.ranges.some(([range, bits]) => range.kind() === address.kind() && address.match(range, bits))
}

/** Why the engine may not connect to this address (its range's name), or undefined when it may. */
export function addressRefusal(raw: string | Address, policy: TargetPolicy): string | undefined {
  const address = canonical(typeof raw === 'string' ? ipaddr.parse(raw) : raw)
  if (listed(address, policy)) return undefined
  const range = address.range()
  return range === 'unicast' ? undefined : range
}

/**
 * Why a registered host is refused before any lookup: an address outside the policy. A name is
 * judged when it is resolved at connection time, unless the allow-list names it.
 */
export function hostRefusal(raw: string, policy: TargetPolicy): string | undefined {
  const host = readHost(raw)
  if (host === undefined) return 'is not a host name or address'
  if (host.kind === 'name') return undefined
  const refused = addressRefusal(host.address, policy)
  return refused === undefined
    ? undefined
    : `is a ${refused} address (${host.address.toString()}), which the service may not call unless HEAL_ALLOWED_TARGETS lists it`
}

export function nameAllowed(name: string, policy: TargetPolicy): boolean {
  return policy.hosts.has(name.toLowerCase().replace(/\.$/, ''))
}
