// The claims helpers decide every policy, so they must read a well-formed JWT payload
// exactly and treat anything else as nobody: no error, no rows, never everyone.
import t from 'tap'
import { ADMIN, ORG, OTHER_ORG, USER, as, asRaw, brokenClaims, database, everyone } from './fixtures.js'

interface Identity {
  user_id: string | null
  organization_id: string | null
  admin: boolean
  service: boolean
}

const identityQuery = `select core314.current_user_id() as user_id, core314.current_organization_id() as organization_id,
  core314.is_admin() as admin, core314.is_service_role() as service`

t.test('well-formed claims name the caller', async t => {
  const sql = await database(t)
  const seen: Record<string, Identity> = {}
  for (const who of everyone) {
    const [row] = await as(sql, who, async tx => await tx.unsafe<Identity[]>(identityQuery))
    seen[who] = row as Identity
  }
  t.same(seen.user, { user_id: USER, organization_id: ORG, admin: false, service: false })
  t.same(seen.admin, { user_id: ADMIN, organization_id: OTHER_ORG, admin: true, service: false })
  t.same(seen.service, { user_id: null, organization_id: null, admin: false, service: true })
})

t.test('missing, empty or malformed claims mean nobody', async t => {
  const sql = await database(t)
  await sql`insert into system_health_events (user_id, component_type, component_name, status) values (${USER}, 'api', 'checkout', 'healthy'), (null, 'api', 'checkout', 'healthy')`
  for (const variant of brokenClaims) {
    const [identity] = await asRaw(
      sql,
      variant.role,
      variant.claims,
      async tx => await tx.unsafe<Identity[]>(identityQuery)
    )
    t.same(
      { admin: identity?.admin, service: identity?.service },
      { admin: false, service: false },
      `${variant.name}: neither admin nor service`
    )
    const rows = await asRaw(
      sql,
      variant.role,
      variant.claims,
      async tx => await tx`select id from system_health_events`
    )
    t.equal(rows.length, 0, `${variant.name}: sees no health events`)
  }
})

t.test('a non-UUID organization is no organization', async t => {
  const sql = await database(t)
  const claims = JSON.stringify({
    sub: USER,
    role: 'authenticated',
    app_metadata: { organization_id: 'acme', role: 'admin' }
  })
  const [identity] = await asRaw(sql, 'authenticated', claims, async tx => await tx.unsafe<Identity[]>(identityQuery))
  t.same(identity, { user_id: USER, organization_id: null, admin: true, service: false })
})

t.test('admin claims under the service role, or service claims under authenticated, grant nothing extra', async t => {
  const sql = await database(t)
  await sql`insert into system_health_events (user_id, component_type, component_name, status) values (null, 'api', 'checkout', 'healthy')`
  const adminClaimsAsService = JSON.stringify({ sub: ADMIN, role: 'authenticated', app_metadata: { role: 'admin' } })
  const serviceClaimsAsUser = JSON.stringify({ sub: USER, role: 'service_role' })
  t.equal(
    (await asRaw(sql, 'service_role', adminClaimsAsService, async tx => await tx`select id from system_health_events`))
      .length,
    0
  )
  t.equal(
    (await asRaw(sql, 'authenticated', serviceClaimsAsUser, async tx => await tx`select id from system_health_events`))
      .length,
    0
  )
})
