# Switchboard's image: built in one stage, served from another that holds only the production
# dependencies, the built JavaScript (dist/) and the migrations. test/install/production.test.ts
# runs these same steps outside a container (no Docker engine runs in CI).
#   docker build -t switchboard .      then see compose.yaml for PostgreSQL + Redis + two instances

FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json prisma.config.ts tsconfig.json tsconfig.build.json schema.graphql ./
COPY prisma ./prisma
COPY scripts ./scripts
COPY dashboard ./dashboard
COPY src ./src
# postinstall: prisma generate, then npm run build (server JS, dashboard, declarations)
RUN npm ci --no-audit --no-fund

FROM node:20-bookworm-slim
ENV NODE_ENV=production HOST=0.0.0.0 PORT=4000
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund && npm cache clean --force
COPY --from=build /app/dist ./dist
COPY prisma ./prisma
USER node
EXPOSE 4000
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s --retries=3 \
  CMD node -e "fetch('http://127.0.0.1:' + (process.env.PORT || 4000) + '/readyz').then(r => process.exit(r.ok ? 0 : 1), () => process.exit(1))"
CMD ["node", "dist/main.js"]
