// The subcommands: how each is called, which option groups it accepts, and where its
// code lives (loaded on use: a download does not load `create` or the demo).
// Adding a subcommand: one entry here, its code in its own module.
import type { Group, Name, Values } from './options.js'

export interface Command {
  // After "pears ".
  usage: string
  summary: string
  groups: readonly Group[]
  // Positional arguments: at least, at most.
  args: readonly [number, number]
  // Help for an option that means something else here: [ARG, text].
  helpFor?: Partial<Record<Name, readonly [string, string]>>
  run (args: string[], values: Values): Promise<void>
}

export const COMMANDS = {
  download: {
    usage: '<file.torrent | magnet-link | URL | -> [options]',
    summary: 'download (or stream) a torrent',
    groups: ['download', 'files', 'progress', 'swarm', 'seeding'],
    args: [1, 1],
    run: async (args, values) => (await import('./download.js')).download(args[0], values)
  },
  seed: {
    usage: 'seed <file.torrent> <path> [options]',
    summary: 'verify existing content and seed it',
    groups: ['progress', 'swarm', 'seeding'],
    args: [2, 2],
    run: async (args, values) => (await import('./seed.js')).seed(args[0], args[1], values)
  },
  serve: {
    usage: 'serve <file.torrent | magnet-link | URL | -> [--http-port N] [--host ADDR] [options]',
    summary: 'serve its files over HTTP while downloading (seekable, for video players)',
    groups: ['serve', 'files', 'progress', 'swarm'],
    args: [1, 1],
    helpFor: { output: ['DIR', 'download to files under DIR while serving (default: memory only)'] },
    run: async (args, values) => (await import('./serve.js')).serve(args[0], values)
  },
  daemon: {
    usage: 'daemon [--rpc-port N] [--rpc-host ADDR] [--rpc-auth USER:PASS] [--allow-dir DIR]... [--state DIR] [-o DIR] [options]',
    summary: 'run as a service: Transmission RPC, a web page with a player, a stream URL per file',
    groups: ['daemon', 'files', 'swarm'],
    args: [0, 0],
    helpFor: { output: ['DIR', 'download root: torrents go under DIR (default: current directory)'], peer: ['HOST:PORT', 'each torrent added also connects to this peer (repeatable; not kept across restarts)'] },
    run: async (_args, values) => (await import('./daemon.js')).daemon(values)
  },
  create: {
    usage: 'create <path> [-o out.torrent] [--announce URL]... [--web-seed URL]... [--piece-length KiB] [--private] [--v2 | --hybrid] [--force]',
    summary: 'make a .torrent of a file or directory',
    groups: ['create'],
    args: [1, 1],
    helpFor: { output: ['FILE', 'write the .torrent to FILE (default: NAME.torrent; - for stdout)'] },
    run: async (args, values) => (await import('./create.js')).create(args[0], values)
  },
  info: {
    usage: 'info <file.torrent | magnet-link | URL | -> [--json]',
    summary: 'show what a torrent or magnet link holds (name, hashes, trackers, files)',
    groups: ['info'],
    args: [1, 1],
    helpFor: { json: ['', 'print it as one JSON object on stdout'] },
    run: async (args, values) => (await import('./info.js')).info(args[0], values)
  },
  demo: {
    usage: 'demo [--size MiB] [--stdout]',
    summary: 'download and stream a generated torrent from three local seeders',
    groups: ['demo'],
    args: [0, 0],
    helpFor: { stdout: ['', 'also stream the content to stdout (pipe it: pears demo --stdout | pv > /dev/null)'] },
    run: async (_args, values) => (await import('./demo.js')).demo({ sizeMiB: values.size ?? 64, stdout: values.stdout === true })
  }
} satisfies Record<string, Command>

export type CommandName = keyof typeof COMMANDS
