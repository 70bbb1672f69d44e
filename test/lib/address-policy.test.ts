// The target policy's reading of hosts: every spelling of a refused address is refused, public
// addresses and names pass (names are judged when resolved), and the allow-list lets through
// exactly the hosts and ranges it lists.
import t from 'tap'
import { ConfigError, loadConfig } from '../../src/config.js'
import { addressRefusal, hostRefusal, targetPolicy } from '../../src/lib/address-policy.js'
import { REFUSED_SPELLINGS } from '../helpers/refused-hosts.js'

const none = targetPolicy([])

t.test(
  'every spelling of a loopback, private, link-local, CGNAT, metadata or unspecified address is refused',
  async t => {
    for (const [spelling, range] of REFUSED_SPELLINGS) {
      t.match(hostRefusal(spelling, none), new RegExp(`is a ${range} address`), spelling)
    }
  }
)

t.test('public addresses pass, and names wait for their resolution', async t => {
  for (const host of ['93.184.215.14', '[2606:4700:4700::1111]', 'control.example.com', 'localhost'])
    t.equal(hostRefusal(host, none), undefined, host)
})

t.test('the allow-list admits its hosts and ranges in any spelling, and nothing else', async t => {
  const policy = targetPolicy(['127.0.0.1', '10.0.0.0/8', 'fd00::/8', 'cache.internal'])
  for (const host of ['127.0.0.1', '0x7f.1', '2130706433', '[::ffff:127.0.0.1]', '10.200.0.1', '[fd12::1]'])
    t.equal(hostRefusal(host, policy), undefined, host)
  for (const host of ['127.0.0.2', '192.168.0.1', '169.254.169.254', '[::1]'])
    t.not(hostRefusal(host, policy), undefined, host)
})

t.test('an IPv4-compatible address is refused however a resolver answers it, the dotted form included', async t => {
  // What resolveChecked judges each DNS answer with. ipaddr.js alone reads ::8.8.8.8 as the
  // IPv4-mapped ::ffff:8.8.8.8, which would pass as the public 8.8.8.8.
  for (const answer of ['::7f00:1', '::127.0.0.1', '::808:808', '::8.8.8.8', '0:0:0:0:0:0:a9fe:a9fe'])
    t.equal(addressRefusal(answer, none), 'ipv4Compatible', answer)
  t.equal(addressRefusal('::ffff:127.0.0.1', none), 'loopback')
  t.equal(addressRefusal('2606:4700:4700::1111', none), undefined)
})

t.test('only an IPv6 allow-list entry admits IPv4-compatible addresses, and it admits nothing of IPv4', async t => {
  t.not(hostRefusal('[::127.0.0.1]', targetPolicy(['127.0.0.1'])), undefined, 'the IPv4 address it carries')
  for (const entry of ['::/96', '::0.0.0.0/96', '::127.0.0.1']) {
    const policy = targetPolicy([entry])
    t.equal(hostRefusal('[::127.0.0.1]', policy), undefined, entry)
    for (const host of ['127.0.0.1', '10.0.0.1', '[::ffff:127.0.0.1]'])
      t.not(hostRefusal(host, policy), undefined, `${entry} does not admit ${host}`)
  }
  t.equal(hostRefusal('10.2.3.4', targetPolicy(['::ffff:10.0.0.0/104'])), undefined, 'an IPv4-mapped range is IPv4')
})

t.test('HEAL_ALLOWED_TARGETS takes hosts, addresses and CIDRs, and names a bad entry', async t => {
  t.same(loadConfig({ HEAL_ALLOWED_TARGETS: ' 127.0.0.1, 10.0.0.0/8 ,Cache.Internal,::1' }).healing.allowedTargets, [
    '127.0.0.1',
    '10.0.0.0/8',
    'cache.internal',
    '::1'
  ])
  t.same(loadConfig({}).healing.allowedTargets, [])
  for (const bad of ['10.0.0.0/33', 'not a host', 'a/b']) {
    t.throws(() => loadConfig({ HEAL_ALLOWED_TARGETS: bad }), ConfigError, bad)
  }
})
