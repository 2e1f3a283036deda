# One image for every kefu service; docker-compose.yml picks each one's command. Settings: docs/configuration.md
# (for docker compose, .env.example and docs/configuration.md's "docker compose" table); product contract: docs/SPEC.md.
FROM node:20-bookworm-slim AS build
WORKDIR /app
RUN npm i -g pnpm@12.4.2
# No terminal here: CI=true lets pnpm change node_modules (the pruning below) without asking.
ENV CI=true
COPY . .
RUN pnpm install --frozen-lockfile && pnpm build
# What the services run, and nothing else: the production dependencies (devDependencies pruned: test runner,
# browser driver, bundlers…), the builds, the migrations, and the console's browser modules (the .js and .css files
# of its feature folders, served from there).
RUN pnpm prune --prod \
 && mkdir /runtime \
 && cp -a --parents \
      package.json pnpm-workspace.yaml node_modules prisma/migrations \
      apps/*/package.json apps/*/dist apps/*/node_modules apps/console/src/*/*.js apps/console/src/*/*.css \
      packages/*/package.json packages/*/dist packages/*/node_modules \
      /runtime/

FROM node:20-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production HOST=0.0.0.0
COPY --from=build /runtime /app
# The console keeps media under DATA_DIR, a volume in docker-compose.yml. A fresh volume takes the ownership of the
# directory it is mounted on, so the directory is made here, owned by the user the services run as.
RUN mkdir -p /var/lib/kefu && chown node:node /var/lib/kefu
USER node
CMD ["node", "--no-allocation-site-pretenuring", "apps/ingest/dist/server.js"]
