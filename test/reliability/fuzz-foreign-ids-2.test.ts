import { testForeignIds } from './foreign-ids.js'

testForeignIds(1, 2)
