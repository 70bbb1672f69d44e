// What the probes answer: liveness has no checks; readiness names each one it ran.
import { Type } from 'typebox'

export const OperationalStatus = Type.Object(
  {
    status: Type.Enum(['ok', 'unavailable'], { examples: ['ok'] }),
    checks: Type.Optional(
      Type.Object({
        database: Type.Boolean({ description: 'The database answered within the readiness timeout' }),
        migrations: Type.Boolean({ description: 'Every migration on disk is applied, as it is on disk' })
      })
    )
  },
  { $id: 'OperationalStatus', description: 'A probe answer (/healthz, /readyz)' }
)
