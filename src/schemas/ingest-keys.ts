// Organization ingest keys: what is created, and what lists show (never the key itself).
import { Type } from 'typebox'
import { name, nullable, timestamp, uuid } from './fields.js'

export const IngestKeyInput = Type.Object(
  {
    name: name(100, {
      description: 'What the key is for, e.g. the Alertmanager or collector it is configured in',
      examples: ['prod alertmanager']
    }),
    organization_id: Type.Optional(
      uuid({ description: 'For the service role: the organization the key belongs to. Others: their own organization' })
    )
  },
  { $id: 'IngestKeyInput', additionalProperties: false }
)

const keyFields = {
  id: uuid(),
  organization_id: uuid(),
  name: Type.String(),
  key_prefix: Type.String({ description: "The key's first characters, to tell keys apart" }),
  created_by: nullable(uuid()),
  created_at: timestamp(),
  last_used_at: nullable(timestamp({ description: 'Last accepted request, to the minute' })),
  revoked_at: nullable(timestamp())
}

export const IngestKey = Type.Object(keyFields, { $id: 'IngestKey' })

export const CreatedIngestKey = Type.Object(
  {
    ...keyFields,
    key: Type.String({ description: 'The key, shown this once: send it as `Authorization: Bearer <key>`' })
  },
  { $id: 'CreatedIngestKey' }
)
