// `pears daemon`: a session (lib/session) as a service (lib/daemon) until SIGTERM or
// SIGINT, or a client's session-close; then the session saves its state and tells the
// trackers, and the command exits 0. On start the session restores its torrents.
import path from 'node:path'
import { isIP } from 'node:net'
import { Session } from '../session/session.js'
import { startDaemon, type Daemon } from '../daemon/daemon.js'
import { DEFAULT_BUFFER_BYTES } from '../torrent.js'
import { EXIT, UserError } from './exit.js'
import type { Values } from './options.js'
import { checkOutputDir } from './preflight.js'
import { version } from './main.js'

const DEFAULT_RPC_PORT = 9091
// The session's close (state saved, trackers told) gets this long; the process ends
// within 5 s of the signal whatever happens.
const CLOSE_MS = 2500

export async function daemon (values: Values): Promise<void> {
  const host = values['rpc-host'] ?? '127.0.0.1'
  if (!isLoopback(host) && values['rpc-auth'] === undefined) {
    throw new UserError(`--rpc-host ${host} lets other machines reach the daemon: give --rpc-auth USER:PASS too`, EXIT.usage)
  }
  const dir = path.resolve(values.output ?? '.')
  await checkOutputDir(dir)
  for (const d of values['allow-dir'] ?? []) await checkOutputDir(d)
  const session = await Session.start({
    stateDir: values.state === undefined ? undefined : path.resolve(values.state),
    downloadDir: dir,
    port: values.port ?? 0,
    dht: !values['no-dht'],
    dhtBootstrap: values['dht-bootstrap'],
    dhtPort: values['dht-port'],
    blocklist: values.blocklist,
    lsd: !values['no-lsd'],
    proxy: values.proxy,
    maxBufferBytes: values['max-buffer'] !== undefined ? values['max-buffer'] * 1048576 : DEFAULT_BUFFER_BYTES,
    encryption: values.encryption,
    pex: !values['no-pex'],
    directIo: !values['no-direct-io'],
    downloadLimit: values['download-limit'],
    uploadLimit: values['upload-limit']
  })
  let closeRequested = (): void => {}
  const closed = new Promise<void>((resolve) => { closeRequested = resolve })
  let d: Daemon
  try {
    d = await startDaemon(session, {
      host,
      port: values['rpc-port'] ?? DEFAULT_RPC_PORT,
      auth: values['rpc-auth'],
      allowHosts: values['allow-host'],
      allowDirs: (values['allow-dir'] ?? []).map((a) => path.resolve(a)),
      version: version(),
      stateDir: values.state === undefined ? null : path.resolve(values.state),
      dht: !values['no-dht'],
      pex: !values['no-pex'],
      encryption: values.encryption ?? 'prefer',
      peers: values.peer ?? [],
      onClose: () => closeRequested()
    })
  } catch (err) {
    await session.close()
    const code = (err as NodeJS.ErrnoException).code
    const why = code === 'EADDRINUSE' ? 'address in use (choose another with --rpc-port)' : code ?? (err as Error).message
    throw new UserError(`cannot serve on ${host}:${values['rpc-port'] ?? DEFAULT_RPC_PORT}: ${why}`, EXIT.usage)
  }
  const torrents = session.torrents().length
  process.stderr.write(`pears: daemon at ${d.url}/ (Transmission RPC ${d.url}/transmission/rpc; peers on port ${session.port}; downloads under ${dir}; ${torrents} torrent${torrents === 1 ? '' : 's'} restored)\n`)
  process.once('SIGINT', closeRequested)
  process.once('SIGTERM', closeRequested)
  await closed
  process.removeListener('SIGINT', closeRequested)
  process.removeListener('SIGTERM', closeRequested)
  await d.close()
  let timer: NodeJS.Timeout | undefined
  const late = new Promise<boolean>((resolve) => { timer = setTimeout(() => resolve(true), CLOSE_MS) })
  const tooLate = await Promise.race([session.close().then(() => false), late])
  clearTimeout(timer)
  if (tooLate) process.stderr.write('pears: the session took too long to close; its last saved state stands\n')
  process.stderr.write('pears: daemon stopped\n')
}

function isLoopback (host: string): boolean {
  return host === 'localhost' || host === '::1' || (isIP(host) === 4 && host.startsWith('127.'))
}
