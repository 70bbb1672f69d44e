// Checking the model's reply: only the expected shape gets through, and only allowed actions.
import t from 'tap'
import { allowedOnly, parseReply } from '../../../src/services/analysis/reply.js'
import { analysisContent } from '../../helpers/fake-openai.js'

t.test('a reply of the right shape is accepted, extra fields dropped', async t => {
  const parsed = parseReply(analysisContent({ confidence: 0.9 }))
  t.equal(parsed.ok, true)
  t.same(parsed.ok && parsed.content, JSON.parse(analysisContent()))
  t.notOk(parsed.ok && 'confidence' in parsed.content)
})

t.test('a reply wrapped in a Markdown fence is accepted', async t => {
  t.equal(parseReply('```json\n' + analysisContent() + '\n```').ok, true)
})

t.test('anything else is refused with the reason', async t => {
  const refused: Array<[string, string, RegExp]> = [
    ['prose', 'It is the database.', /not JSON/],
    ['an array', '[]', /\//],
    [
      'a missing field',
      JSON.stringify({ ...JSON.parse(analysisContent()), root_cause: undefined }),
      /root_cause|required/
    ],
    ['an empty summary', analysisContent({ summary: '' }), /summary/],
    ['actions not a list', analysisContent({ actions: 'scale_up' }), /actions/],
    ['an action without a type', analysisContent({ actions: [{ reason: 'why' }] }), /actions/],
    ['no evidence', analysisContent({ evidence: [] }), /evidence/],
    [
      'evidence citing no metric',
      analysisContent({ evidence: [{ claim: 'trust me', metrics: [] }] }),
      /evidence\/0\/metrics/
    ],
    ['a summary too long to be one', analysisContent({ summary: 'x'.repeat(5000) }), /summary/]
  ]
  for (const [what, text, detail] of refused) {
    const parsed = parseReply(text)
    t.equal(parsed.ok, false, what)
    t.match(!parsed.ok && parsed.detail, detail, what)
  }
})

t.test('allowedOnly keeps allowed actions once each, in order', async t => {
  t.same(
    allowedOnly(
      [
        { action_type: 'drop_database', reason: 'a' },
        { action_type: 'scale_up', reason: 'b' },
        { action_type: 'clear_cache', reason: 'c' },
        { action_type: 'scale_up', reason: 'd' }
      ],
      ['clear_cache', 'scale_up']
    ),
    [
      { action_type: 'scale_up', reason: 'b' },
      { action_type: 'clear_cache', reason: 'c' }
    ]
  )
  t.same(allowedOnly([{ action_type: 'scale_up', reason: 'b' }], []), [])
})
