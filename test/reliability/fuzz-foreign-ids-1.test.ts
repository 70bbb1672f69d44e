import { testForeignIds } from './foreign-ids.js'

testForeignIds(0, 2)
