// The committed contract is what the app serves, and it is a valid OpenAPI document.
import t from 'tap'
import { readFile } from 'node:fs/promises'
import SwaggerParser from '@apidevtools/swagger-parser'
import { OPENAPI_FILE, renderOpenApi } from '../../src/openapi-document.js'
import { buildTestApp } from '../helpers/app.js'

t.test('openapi/openapi.json matches what /openapi.json serves (run `npm run openapi` after changing a route)', async (t) => {
  const { app } = await buildTestApp(t)
  const served = await app.inject('/openapi.json')
  t.equal(served.statusCode, 200)
  const committed = await readFile(OPENAPI_FILE, 'utf8')
  t.equal(renderOpenApi(served.json()), committed)
})

t.test('the document validates as OpenAPI 3.1 with named components', async (t) => {
  const document = JSON.parse(await readFile(OPENAPI_FILE, 'utf8'))
  t.equal(document.openapi, '3.1.0')
  await t.resolves(SwaggerParser.validate(structuredClone(document)))
  t.ok(document.components.schemas.Problem, 'Problem is a named component')
})
