// The layering the code keeps (checked by test/layering.test.ts, or `npx depcruise src`):
// routes and jobs call services, services use the db layer, the db layer and everything else
// speak the schemas' shapes; nothing reaches back up, and no module imports itself round a
// cycle, type-only imports included. Fastify plugins (src/plugins) wire the layers into the
// app, so only the composition root, routes and jobs may use them. src/lib holds pure code any
// layer may use.
/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'A cycle makes load order matter and the two modules one.',
      from: {},
      to: { circular: true }
    },
    {
      name: 'services-stay-below-routes-jobs-plugins',
      severity: 'error',
      from: { path: '^src/services/' },
      to: { path: '^src/(routes|jobs|plugins)/|^src/app\\.ts$|^src/server\\.ts$' }
    },
    {
      name: 'db-stays-below-services',
      severity: 'error',
      from: { path: '^src/db/' },
      to: { path: '^src/(services|routes|jobs|plugins)/|^src/app\\.ts$|^src/server\\.ts$' }
    },
    {
      name: 'schemas-import-only-schemas',
      severity: 'error',
      from: { path: '^src/schemas/' },
      to: { path: '^src/', pathNot: '^src/(schemas|lib)/' }
    },
    {
      name: 'config-stands-alone',
      severity: 'error',
      comment: 'The configuration is read before anything is built; it names no service.',
      from: { path: '^src/config(\\.ts$|/)' },
      to: { path: '^src/', pathNot: '^src/config(\\.ts$|/)|^src/lib/' }
    },
    {
      name: 'lib-stands-alone',
      severity: 'error',
      comment: 'src/lib holds pure code with no knowledge of the service.',
      from: { path: '^src/lib/' },
      to: { path: '^src/', pathNot: '^src/lib/' }
    }
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    enhancedResolveOptions: { extensions: ['.ts', '.js'] }
  }
}
