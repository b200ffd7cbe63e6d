// A real HTTP server for web seed tests: Debian's nginx (nginx-light) on 127.0.0.1 with
// the test's content as its root, one process (no master, no user switch), every path
// it writes inside the test's directory (-p prefix, -c config), so it needs no root paths.
import { spawn } from 'node:child_process'
import net from 'node:net'
import { mkdir, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { freePort } from './opentracker.js'

export const NGINX = '/usr/sbin/nginx'

export interface Nginx { port: number, url: string, log: string, stop (): Promise<void> }

export interface NginxOptions {
  // Served at /.
  root: string
  // Directory for its config, logs and temp files.
  dir: string
  // nginx's limit_rate per connection, e.g. '1m'.
  limitRate?: string
  // Extra server-block directives (locations, redirects).
  extra?: string
  // Serve https with this certificate and key (PEM files).
  tls?: { cert: string, key: string }
}

export async function startNginx (opts: NginxOptions): Promise<Nginx> {
  await mkdir(path.join(opts.dir, 'tmp'), { recursive: true })
  const port = await freePort()
  const log = path.join(opts.dir, 'access.log')
  const conf = path.join(opts.dir, 'nginx.conf')
  await writeFile(conf, `daemon off;
master_process off;
pid ${path.join(opts.dir, 'nginx.pid')};
error_log ${path.join(opts.dir, 'error.log')} warn;
events { worker_connections 64; }
http {
  access_log ${log};
  client_body_temp_path ${opts.dir}/tmp/body;
  proxy_temp_path ${opts.dir}/tmp/proxy;
  fastcgi_temp_path ${opts.dir}/tmp/fastcgi;
  uwsgi_temp_path ${opts.dir}/tmp/uwsgi;
  scgi_temp_path ${opts.dir}/tmp/scgi;
  default_type application/octet-stream;
  sendfile on;
  keepalive_requests 100000;
  server {
    listen 127.0.0.1:${port}${opts.tls ? ' ssl' : ''};
    ${opts.tls ? `ssl_certificate ${opts.tls.cert}; ssl_certificate_key ${opts.tls.key};` : ''}
    root ${opts.root};
    ${opts.limitRate ? `limit_rate ${opts.limitRate};` : ''}
    ${opts.extra ?? ''}
  }
}
`)
  const child = spawn(NGINX, ['-p', opts.dir, '-c', conf, '-e', path.join(opts.dir, 'error.log')], { stdio: ['ignore', 'ignore', 'pipe'] })
  let err = ''
  child.stderr?.on('data', (c: Buffer) => { err += c.toString() })
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  const until = Date.now() + 10_000
  while (!await canConnect(port)) {
    if (child.exitCode !== null || Date.now() > until) throw new Error(`nginx did not start: ${err}`)
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
  return {
    port,
    url: `${opts.tls ? 'https' : 'http'}://127.0.0.1:${port}`,
    log,
    stop: async () => {
      if (child.exitCode === null) child.kill('SIGTERM')
      await exited
    }
  }
}

function canConnect (port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1')
    s.once('connect', () => { s.destroy(); resolve(true) })
    s.once('error', () => resolve(false))
  })
}
