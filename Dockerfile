# The Core314 self-healing service as a production image: built in one stage, run from the
# compiled dist/ with production dependencies only, as a non-root user. The image has no
# embedded PostgreSQL (an optional dependency, omitted): give it DATABASE_URL and JWT_SECRET
# (or JWKS_URL). See docs/deployment.md.

FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
COPY patches ./patches
# Dev dependencies for the build (esbuild, tsx); optional ones (the embedded PostgreSQL) are not needed.
RUN npm ci --omit=optional --no-audit --no-fund
COPY tsconfig.json ./
COPY scripts ./scripts
COPY src ./src
RUN npm run build

FROM node:20-bookworm-slim AS dependencies
WORKDIR /app
COPY package.json package-lock.json ./
COPY patches ./patches
# postinstall applies patches/ (patch-package is a production dependency).
RUN npm ci --omit=dev --omit=optional --no-audit --no-fund && npm cache clean --force

FROM node:20-bookworm-slim AS runtime
# MALLOC_ARENA_MAX as `npm start` sets it (docs/deployment.md, "Memory").
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=3000 \
    MALLOC_ARENA_MAX=2
WORKDIR /app
COPY --from=dependencies --chown=node:node /app/node_modules ./node_modules
COPY --from=build --chown=node:node /app/dist ./dist
COPY --chown=node:node package.json ./
# Read at run time relative to dist/: the migrations applied at start and the OpenAPI document.
COPY --chown=node:node migrations ./migrations
COPY --chown=node:node openapi ./openapi
# The node image's unprivileged user; nothing in /app is writable by it but what it owns.
USER node
EXPOSE 3000
# /readyz: the database answers and the migrations are current. Node's fetch, since the slim
# image has no curl.
HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 3000) + '/readyz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# node itself is PID 1's only process: SIGTERM from `docker stop` reaches the server, which
# drains requests and jobs (up to 30 s) and exits 0. Give docker stop at least that: -t 35.
# The heap flags as `npm start` gives them (package.json): with no limit, V8 on a host with more
# than 8 GB lets the heap grow to 4 times what is live before a full collection; the initial old
# space is the size the heap settles at under load, so RSS does not climb to it for minutes.
CMD ["node", "--max-old-space-size=1024", "--initial-old-space-size=96", "--enable-source-maps", "dist/server.js"]
