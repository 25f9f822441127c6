# One image for every Conveyor app; docker-compose.yml picks the command per service.
# syntax=docker/dockerfile:1

FROM node:20-bookworm-slim AS base
ENV PNPM_HOME=/pnpm PATH=/pnpm:$PATH CI=true
RUN npm install -g pnpm@12.21.0
WORKDIR /app

# Dependencies first, so source changes do not reinstall them.
FROM base AS deps
COPY package.json pnpm-lock.yaml pnpm-workspace.yaml ./
COPY packages/tsconfig/package.json packages/tsconfig/
COPY packages/errors/package.json packages/errors/
COPY packages/redis/package.json packages/redis/
COPY packages/runtime/package.json packages/runtime/
COPY packages/queues/package.json packages/queues/
COPY packages/slack/package.json packages/slack/
COPY packages/telemetry/package.json packages/telemetry/
COPY packages/testing/package.json packages/testing/
COPY apps/api/package.json apps/api/
COPY apps/worker/package.json apps/worker/
COPY apps/dashboard/package.json apps/dashboard/
COPY e2e/package.json e2e/
RUN pnpm install --frozen-lockfile

FROM deps AS build
COPY . .
RUN pnpm build && pnpm install --frozen-lockfile --prod --offline

FROM node:20-bookworm-slim AS runtime
ENV NODE_ENV=production
WORKDIR /app
COPY --from=build --chown=node:node /app /app
RUN mkdir -p /app/.data/ingest && chown node:node /app/.data/ingest
# The node image's unprivileged user (uid 1000), which the Kubernetes manifests run as.
USER node
EXPOSE 3000 3001 9464
# Asks /healthz of whichever app the container runs, on its port.
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 \
  CMD ["node", "scripts/healthcheck.mjs"]
CMD ["node", "apps/api/dist/main.js"]
