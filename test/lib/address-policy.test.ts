// The target policy's reading of hosts: every spelling of a refused address is refused, public
// addresses and names pass (names are judged when resolved), and the allow-list lets through
// exactly the hosts and ranges it lists.
import t from 'tap'
import { ConfigError, loadConfig } from '../../src/config.js'
import { hostRefusal, targetPolicy } from '../../src/lib/address-policy.js'
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
