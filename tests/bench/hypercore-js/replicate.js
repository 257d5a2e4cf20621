'use strict'
// The hypercore side of tests/bench/hypercore.sh, one process per core:
//
//   node replicate.js seed DIR COUNT SIZE HOST PORT
//     makes a core in DIR with COUNT random entries of SIZE bytes (1,000
//     per append) and serves it on HOST:PORT until SIGTERM. It prints
//     "ready key=HEX" once listening.
//   node replicate.js clone DIR KEY HOST PORT COUNT
//     opens an empty core for KEY in DIR, connects, downloads entries 0 to
//     COUNT - 1 and prints "cloned N entries ms=M peak_rss_kb=R", where M
//     counts from the start of this process, as the Wardline figure counts
//     from the start of the node.
//
// Replication is hypercore's own: core.replicate() over a TCP socket, with
// its Noise handshake and encrypted stream, and default download options.

const crypto = require('crypto')
const net = require('net')
const Hypercore = require('hypercore')

const APPEND_BATCH = 1000

async function seed (dir, count, size, host, port) {
  const core = new Hypercore(dir)
  await core.ready()
  for (let i = 0; i < count; i += APPEND_BATCH) {
    const batch = []
    for (let j = i; j < Math.min(count, i + APPEND_BATCH); j++) {
      batch.push(crypto.randomBytes(size))
    }
    await core.append(batch)
  }
  const server = net.createServer((socket) => {
    socket.on('error', () => {})
    socket.pipe(core.replicate(false)).pipe(socket)
  })
  server.listen(port, host, () => {
    console.log(`ready key=${core.key.toString('hex')}`)
  })
  process.on('SIGTERM', () => process.exit(0))
}

async function clone (dir, key, host, port, count) {
  const core = new Hypercore(dir, Buffer.from(key, 'hex'))
  await core.ready()
  const socket = net.connect(port, host)
  socket.on('error', () => {})
  socket.pipe(core.replicate(true)).pipe(socket)
  await core.update({ wait: true })
  await core.download({ start: 0, end: count }).done()
  const ms = performance.now()
  const rss = process.resourceUsage().maxRSS
  console.log(`cloned ${core.contiguousLength} entries ms=${ms.toFixed(0)} ` +
    `peak_rss_kb=${rss}`)
  socket.destroy()
  await core.close()
  process.exit(0)
}

function main (argv) {
  const [mode, dir, ...rest] = argv
  if (mode === 'seed' && rest.length === 4) {
    return seed(dir, +rest[0], +rest[1], rest[2], +rest[3])
  }
  if (mode === 'clone' && rest.length === 4) {
    return clone(dir, rest[0], rest[1], +rest[2], +rest[3])
  }
  console.error('usage: replicate.js seed DIR COUNT SIZE HOST PORT | ' +
    'clone DIR KEY HOST PORT COUNT')
  process.exit(2)
}

main(process.argv.slice(2)).catch((err) => {
  console.error(err)
  process.exit(1)
})
