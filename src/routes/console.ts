// /console: the operator console's built assets (scripts/console-build.ts), held in memory with
// their gzipped copies. The assets' names carry their content hash, so they are cached for good;
// index.html is revalidated by ETag. A strict Content-Security-Policy: scripts and styles from
// this origin only, nothing inline, connections to this origin only (the console's only server
// is this API). A checkout started without `npm run build` answers 503 saying so.
import { createHash } from 'node:crypto'
import { readFileSync, readdirSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { gzipSync } from 'node:zlib'
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify'
import { errors } from '../errors.js'

const CONSOLE_DIR = fileURLToPath(new URL('../../dist/console/', import.meta.url))

export const CONSOLE_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'"
].join('; ')

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8'
}

interface Asset {
  body: Buffer
  gzipped: Buffer
  type: string
  etag: string
}

function loadAssets(dir: string): Map<string, Asset> | null {
  let files: string[]
  try {
    files = readdirSync(dir, { recursive: true, encoding: 'utf8' })
  } catch {
    return null
  }
  const assets = new Map<string, Asset>()
  for (const file of files) {
    const type = TYPES[path.extname(file)]
    if (type === undefined) continue
    const body = readFileSync(path.join(dir, file))
    const etag = `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"`
    assets.set(file.split(path.sep).join('/'), { body, gzipped: gzipSync(body), type, etag })
  }
  return assets.has('index.html') ? assets : null
}

const routes: FastifyPluginAsync = async app => {
  const assets = loadAssets(CONSOLE_DIR)

  function send(request: FastifyRequest, reply: FastifyReply, name: string, cacheControl: string): Buffer {
    if (assets === null)
      throw new errors.ConsoleNotBuilt('the console is not built: run `npm run build`, then start again')
    const asset = assets.get(name)
    if (asset === undefined) throw new errors.ConsoleAssetNotFound('no such console asset')
    void reply
      .header('content-type', asset.type)
      .header('cache-control', cacheControl)
      .header('etag', asset.etag)
      .header('vary', 'accept-encoding')
      .header('content-security-policy', CONSOLE_CSP)
      .header('x-content-type-options', 'nosniff')
      .header('referrer-policy', 'no-referrer')
    if (request.headers['if-none-match'] === asset.etag) {
      void reply.code(304)
      return Buffer.alloc(0)
    }
    if (/\bgzip\b/.test(request.headers['accept-encoding'] ?? '')) {
      void reply.header('content-encoding', 'gzip')
      return asset.gzipped
    }
    return asset.body
  }

  const page = async (request: FastifyRequest, reply: FastifyReply) => send(request, reply, 'index.html', 'no-cache')
  app.get('/console', { schema: { hide: true } }, page)
  app.get('/console/', { schema: { hide: true } }, page)
  app.get<{ Params: { file: string } }>('/console/assets/:file', { schema: { hide: true } }, async (request, reply) =>
    send(request, reply, `assets/${request.params.file}`, 'public, max-age=31536000, immutable')
  )
}

export default routes
