// Spellings of addresses control targets may not use, shared by the registration and connection tests.
/** Each spelling with the range it must be refused as. */
export const REFUSED_SPELLINGS: Array<[string, string]> = [
  ['127.0.0.1', 'loopback'],
  ['2130706433', 'loopback'],
  ['0x7f.1', 'loopback'],
  ['0x7f000001', 'loopback'],
  ['0177.0.0.1', 'loopback'],
  ['127.1', 'loopback'],
  ['127.0.0.1.', 'loopback'],
  ['[::1]', 'loopback'],
  ['[::ffff:127.0.0.1]', 'loopback'],
  ['[::ffff:7f00:1]', 'loopback'],
  ['10.1.2.3', 'private'],
  ['172.16.0.1', 'private'],
  ['192.168.0.10', 'private'],
  ['[::ffff:192.168.0.10]', 'private'],
  ['169.254.169.254', 'linkLocal'],
  ['0xa9fea9fe', 'linkLocal'],
  ['[fe80::1]', 'linkLocal'],
  ['[fd00:ec2::254]', 'uniqueLocal'],
  ['100.64.0.1', 'carrierGradeNat'],
  ['100.100.100.200', 'carrierGradeNat'],
  ['0.0.0.0', 'unspecified'],
  ['0', 'unspecified'],
  ['[::]', 'unspecified'],
  // IPv4-compatible (::/96, deprecated): refused whatever IPv4 address it carries, public ones too.
  ['[::127.0.0.1]', 'ipv4Compatible'],
  ['[::7f00:1]', 'ipv4Compatible'],
  ['[0:0:0:0:0:0:10.1.2.3]', 'ipv4Compatible'],
  ['[::169.254.169.254]', 'ipv4Compatible'],
  ['[::8.8.8.8]', 'ipv4Compatible'],
  // The other ranges that carry an IPv4 address are refused as a whole.
  ['[::ffff:0:127.0.0.1]', 'rfc6145'],
  ['[64:ff9b::127.0.0.1]', 'rfc6052'],
  ['[2002:7f00:1::]', '6to4'],
  ['[2001::7f00:1]', 'teredo']
]
