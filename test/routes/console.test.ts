// /console: the built assets served from memory with their content types, the strict CSP,
// revalidation by ETag, immutable hashed assets, gzip, and a 404 problem for anything else.
import t from 'tap'
import { buildTestApp } from '../helpers/app.js'

t.test('the console page and its assets', async t => {
  const ctx = await buildTestApp(t)
  const page = await ctx.app.inject({ url: '/console' })
  t.equal(page.statusCode, 200)
  t.match(page.headers['content-type'], /^text\/html/)
  t.equal(page.headers['cache-control'], 'no-cache')
  const csp = String(page.headers['content-security-policy'])
  t.match(csp, /default-src 'none'/)
  t.match(csp, /script-src 'self'(;|$)/, 'scripts from the origin only, nothing inline')
  t.match(csp, /connect-src 'self'/)
  t.notMatch(page.body, /<script(?![^>]*\ssrc=)[^>]*>/, 'no inline script')
  t.notMatch(page.body, /https?:\/\//, 'nothing loaded from elsewhere')
  t.equal((await ctx.app.inject({ url: '/console/' })).statusCode, 200)

  const again = await ctx.app.inject({ url: '/console', headers: { 'if-none-match': String(page.headers.etag) } })
  t.equal(again.statusCode, 304)
  t.equal(again.body, '')

  const script = /src="(\/console\/assets\/main-[A-Z0-9]+\.js)"/.exec(page.body)?.[1]
  const style = /href="(\/console\/assets\/main-[A-Z0-9]+\.css)"/.exec(page.body)?.[1]
  t.ok(script !== undefined && style !== undefined, 'the page names hashed assets')
  const js = await ctx.app.inject({ url: String(script), headers: { 'accept-encoding': 'gzip, br' } })
  t.equal(js.statusCode, 200)
  t.match(js.headers['content-type'], /^text\/javascript/)
  t.equal(js.headers['cache-control'], 'public, max-age=31536000, immutable')
  t.equal(js.headers['content-encoding'], 'gzip')
  const css = await ctx.app.inject({ url: String(style) })
  t.match(css.headers['content-type'], /^text\/css/)
  t.equal(css.headers['content-encoding'], undefined, 'plain to a client that does not take gzip')

  const missing = await ctx.app.inject({ url: '/console/assets/main-NOPE.js' })
  t.equal(missing.statusCode, 404)
  t.match(missing.headers['content-type'], /application\/problem\+json/)
  t.equal((await ctx.app.inject({ url: '/console/assets/..%2Findex.html' })).statusCode, 404)
})
