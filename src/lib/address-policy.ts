// Where control targets may point: public unicast addresses, and whatever HEAL_ALLOWED_TARGETS
// lists besides. A host is read the way a resolver would read it (WHATWG's host parser takes
// 2130706433, 0x7f.1, 0177.0.0.1, 127.1 and a trailing dot to the address they mean), so no
// spelling of a loopback, private, link-local, CGNAT, metadata or unspecified address passes.
// Address text of every origin (a URL, a DNS answer, an allow-list entry) goes through that
// parser before ipaddr.js sees it: ipaddr.js reads ::1.2.3.4 as the IPv4-mapped ::ffff:1.2.3.4,
// the URL parser as the IPv4-compatible ::102:304 it is.
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
      const [, bits] = ipaddr.parseCIDR(entry)
      const address = parseAddress(entry.slice(0, entry.indexOf('/')))
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

/** A host as the URL parser serialises it, without brackets; undefined when it does not parse. */
function urlHost(raw: string): string | undefined {
  let hostname: string
  try {
    hostname = new URL(`http://${raw.includes(':') && !raw.startsWith('[') ? `[${raw}]` : raw}/`).hostname
  } catch {
    return undefined
  }
  return hostname.startsWith('[') ? hostname.slice(1, -1) : hostname
}

// Text the URL parser refuses but ipaddr.js reads (an address with a zone, fe80::1%eth0, as a
// resolver may answer) is left to ipaddr.js, which still classifies it.
function parseAddress(text: string): Address {
  return ipaddr.parse(urlHost(text) ?? text)
}

/** A URL's host as a resolver sees it: an address in any spelling, or a name. */
export function readHost(raw: string): Host | undefined {
  const bare = urlHost(raw)
  if (bare === undefined) return undefined
  if (ipaddr.isValid(bare) && (bare.includes(':') || ipaddr.IPv4.isValidFourPartDecimal(bare))) {
    return { kind: 'address', address: canonical(ipaddr.parse(bare)) }
  }
  const name = bare.replace(/\.$/, '')
  return name === '' ? undefined : { kind: 'name', name }
}

function listed(address: Address, policy: TargetPolicy): boolean {
  return policy.ranges.some(([range, bits]) => range.kind() === address.kind() && address.match(range, bits))
}

// ::/96 but :: and ::1: the IPv4-compatible addresses RFC 4291 deprecated, which ipaddr.js calls
// unicast. A stack that still routes them tunnels to the IPv4 address inside, one that does not
// cannot reach them at all; judging the IPv4 address would let the check and the connection
// disagree, so the range is refused as a whole, whatever it carries.
const IPV4_COMPATIBLE: [ipaddr.IPv6, number] = [ipaddr.IPv6.parse('::'), 96]

function rangeOf(address: Address): string {
  const range = address.range()
  return range === 'unicast' && address.kind() === 'ipv6' && address.match(IPV4_COMPATIBLE) ? 'ipv4Compatible' : range
}

/** Why the engine may not connect to this address (its range's name), or undefined when it may. */
export function addressRefusal(raw: string | Address, policy: TargetPolicy): string | undefined {
  const address = canonical(typeof raw === 'string' ? parseAddress(raw) : raw)
  if (listed(address, policy)) return undefined
  const range = rangeOf(address)
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
