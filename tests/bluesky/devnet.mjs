// The AT Protocol reference servers on loopback, for socialdesk's Bluesky integration test.
//
// Starts @atproto/dev-env's TestNetwork (a PLC directory, a PDS, the Bluesky AppView and
// Ozone) on the local PostgreSQL, prints one JSON line with the service URLs on stdout,
// then reads commands from stdin, one per line:
//   sync   wait until the AppView has indexed everything the PDS has written; answers {"synced": true}
// It shuts down when stdin closes or on SIGTERM / SIGINT.
//
// Environment: DB_POSTGRES_URL (default postgresql://postgres@127.0.0.1:5432/test) and
// DEVNET_SCHEMA (required: the AppView and Ozone use the schemas appview_<it> and ozone_<it>;
// the caller drops them afterwards).
//
// The package's own bin.js is not used: it crashes while generating mock data.
import dns from 'node:dns'
import net from 'node:net'
import readline from 'node:readline'

// Every server in TestNetwork calls listen(port) without a host, i.e. on all interfaces, and
// none takes a host option: bind them all to loopback instead.
const LOOPBACK = '127.0.0.1'
const listen = net.Server.prototype.listen
net.Server.prototype.listen = function (...args) {
  const [first] = args
  if (typeof first === 'number' || (typeof first === 'string' && /^\d+$/.test(first))) {
    if (typeof args[1] !== 'string') args.splice(1, 0, LOOPBACK)
  } else if (first && typeof first === 'object' && first.path === undefined && !first.host) {
    args[0] = { ...first, host: LOOPBACK }
  }
  return listen.apply(this, args)
}
// The services call each other at http://localhost:<port>: make that resolve to where they listen.
dns.setDefaultResultOrder('ipv4first')
// TestNetwork insists on a Redis host but the AppView it starts never connects to it.
process.env.REDIS_HOST ??= 'unused'

const schema = process.env.DEVNET_SCHEMA
if (!schema || !/^[a-z_]+$/.test(schema)) {
  // the AppView accepts only letters and underscores in its schema name
  console.error('devnet: set DEVNET_SCHEMA to a PostgreSQL schema name (lower case letters and _ only)')
  process.exit(2)
}

const { TestNetwork } = await import('@atproto/dev-env')
const network = await TestNetwork.create({
  dbPostgresUrl: process.env.DB_POSTGRES_URL ?? 'postgresql://postgres@127.0.0.1:5432/test',
  dbPostgresSchema: schema,
  pds: { hostname: 'localhost' },
  bsky: {},
  plc: {},
  ozone: {},
})

const loopback = (url) => url.replace('//localhost:', `//${LOOPBACK}:`)
process.stdout.write(JSON.stringify({
  pds: loopback(network.pds.url),
  appview: loopback(network.bsky.url),
  plc: loopback(network.plc.url),
  appviewDid: network.bsky.serverDid,
}) + '\n')

let closing = null
const shutdown = () => {
  closing ??= network.close().then(() => process.exit(0), (error) => {
    console.error('devnet: error while closing', error)
    process.exit(1)
  })
  return closing
}
process.on('SIGTERM', shutdown)
process.on('SIGINT', shutdown)

const commands = readline.createInterface({ input: process.stdin })
commands.on('line', async (line) => {
  const command = line.trim()
  if (command === 'sync') {
    try {
      await network.processAll(20000)
      process.stdout.write(JSON.stringify({ synced: true }) + '\n')
    } catch (error) {
      process.stdout.write(JSON.stringify({ synced: false, error: String(error) }) + '\n')
    }
  } else if (command) {
    process.stdout.write(JSON.stringify({ error: `unknown command ${command}` }) + '\n')
  }
})
commands.on('close', shutdown)
