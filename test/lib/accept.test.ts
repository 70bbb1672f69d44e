// Accept's media ranges: wildcards, weights, and the most specific range deciding.
import t from 'tap'
import { admits } from '../../src/lib/accept.js'

const JSON_TYPE = ['application/json']

t.test('a range admits the types it matches unless its weight is 0', async t => {
  for (const accept of ['application/json', 'APPLICATION/JSON', 'application/*', '*/*', 'text/html, */*;q=0.1'])
    t.ok(admits(accept, JSON_TYPE), accept)
  for (const accept of ['text/html', 'text/*', 'application/problem+json', 'application/json;q=0', '*/*;q=0'])
    t.notOk(admits(accept, JSON_TYPE), accept)
})

t.test('the most specific matching range decides', async t => {
  t.notOk(admits('*/*, application/json;q=0', JSON_TYPE), 'an exact q=0 beats */*')
  t.ok(admits('application/*;q=0, application/json', JSON_TYPE), 'an exact range beats type/*')
  t.notOk(admits('*/*, application/*;q=0', JSON_TYPE), 'type/* beats */*')
})

t.test('no Accept, or one naming no media range, admits anything', async t => {
  for (const accept of [undefined, '', 'json', ' , ', 'a/b/c']) t.ok(admits(accept, JSON_TYPE), String(accept))
  t.ok(admits('text/event-stream', ['application/json', 'text/event-stream']), 'any one of the types suffices')
})
