// The contract names the built-in tests a caller may run; the registry must hold exactly those.
import t from 'tap'
import { BUILT_IN_TEST_NAMES } from '../../../src/schemas/selftest-runs.js'
import { BUILT_IN_TESTS } from '../../../src/services/selftests/registry.js'

t.test('the registry holds one test for each name the contract accepts, in its order', async t => {
  t.same(
    BUILT_IN_TESTS.map(test => test.name),
    BUILT_IN_TEST_NAMES
  )
})
