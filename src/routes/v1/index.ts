// The /v1 API: one module per resource, each encapsulated.
import type { FastifyPluginAsync } from 'fastify'
import type { Config } from '../../config.js'

const v1: FastifyPluginAsync<{ config: Config }> = async () => {}

export default v1
