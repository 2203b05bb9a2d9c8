# syntax=docker/dockerfile:1
# netwarden container image. Build: docker build -t netwarden .   Run: docker compose up (compose.yml)
#
# Two stages: the build stage has the dev dependencies (TypeScript, esbuild), compiles src/, bin/
# and commands/ to dist/ (tsconfig.build.json) and bundles the bot's own modules into dist/bot/
# (build/bundle.ts); the runtime stage has production dependencies and dist/ only, and runs the
# bundle with plain node (no tsx, no compiler).

ARG NODE_IMAGE=node:20-bookworm-slim

FROM ${NODE_IMAGE} AS build
WORKDIR /app
# Dependencies first: this layer is reused until package*.json change.
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
# .dockerignore lets in only what the build reads (tsconfig*.json, src/, bin/, commands/, build/).
COPY . .
RUN npm run build

FROM ${NODE_IMAGE} AS runtime
# No source maps by default: caching them for every module costs ~2.6 MB resident at idle and
# time whenever a stack is read (https://nodejs.org/api/cli.html#--enable-source-maps), and that
# memory goes to the young generation below instead. The build still writes the .map files next to
# dist/: run with NODE_OPTIONS=--enable-source-maps when you want stack traces in the TypeScript sources.
ENV NODE_ENV=production
# glibc's malloc raises its mmap threshold to the size of each large block freed, so the Buffers of
# big Redis commands and bodies (tens to hundreds of kB) end up in its heap and their freed pages stay
# resident. A fixed threshold keeps blocks of 64 kB and more mapped and gives them back when freed
# (https://man7.org/linux/man-pages/man3/mallopt.3.html, M_MMAP_THRESHOLD): about 8 MB less under
# load, 2 MB less idle in `npm run bench` (docs/bench.md, "Footprint and throughput, 2026-12-07
# (late morning)"). `npm run bench` reads this line too (bench/processes.ts).
ENV MALLOC_MMAP_THRESHOLD_=65536
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force
COPY --from=build /app/dist ./dist
# The files stay root's and read-only to the process; it runs as the image's unprivileged "node"
# user (uid 1000) and writes nothing to disk (state is in Redis, logs go to stdout).
USER node
EXPOSE 3000
# /healthz answers while the process runs (liveness); /readyz also checks Redis and Slack. Slim
# images have no curl, so node asks. start-period covers the few seconds netwarden waits for
# Redis before it listens.
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 3000) + '/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# Exec form: no shell in between, so SIGTERM reaches node and netwarden's graceful shutdown runs.
# The V8 flags keep resident memory down (docs/bench.md, "Idle memory" and "Footprint and
# throughput, 2026-12-07"): 4 MB semi-spaces instead of 16 MB grown while the modules load and kept
# (about 6 MB less idle; 2 MB took twice the collections under load, docs/bench.md, "Footprint
# and throughput, 2026-12-07 (late afternoon)"); one V8 worker thread instead of four
# (about 3 MB idle, and on two cores less GC work beside Redis); and an old generation allowed to
# grow to twice what survived its last full GC instead of up to four times (under load the heap
# held up to 100 MB of garbage beside 30 MB live). They are here and not in NODE_OPTIONS because
# Node allows no --heap-growing-percent there. dist/bot/main.js is the bundle of our own modules
# (5 MB less heap at idle than the ~150 modules tsc emits, build/bundle.ts). `npm run bench` reads this
# command and NODE_OPTIONS and runs the bot with them (bench/processes.ts).
CMD ["node", "--v8-pool-size=1", "--max-semi-space-size=4", "--heap-growing-percent=100", "dist/bot/main.js"]
