// Preloaded (node --import) into tools a test spawns to prove they run offline: every attempt
// to resolve a name or open a connection is written to stderr, and still goes ahead, so the
// tool behaves as it would and the test reads the attempts from its stderr.
import dns from 'node:dns'
import net from 'node:net'
import { writeSync } from 'node:fs'

export const MARKER = 'NETWORK ATTEMPT'

function report(what) {
  writeSync(2, `${MARKER}: ${what}\n`)
}

const connect = net.Socket.prototype.connect
net.Socket.prototype.connect = function (...args) {
  // Node passes its normalised arguments as an array, callers an options object or a port.
  const target = Array.isArray(args[0]) ? args[0][0] : args[0]
  report(
    typeof target === 'object' && target !== null
      ? JSON.stringify({ host: target.host, port: target.port, path: target.path })
      : String(target)
  )
  return connect.apply(this, args)
}

const lookup = dns.lookup
dns.lookup = function (hostname, ...rest) {
  report(`lookup ${hostname}`)
  return lookup.call(this, hostname, ...rest)
}
