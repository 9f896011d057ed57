# The gateway image: the same esbuild bundle and V8 flags as `npm start` (see bench/README.md for why),
# built once at image time. better-sqlite3 compiles from source, so the build stage has the toolchain.
FROM node:20-bookworm-slim AS build
WORKDIR /app
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund
COPY tsconfig.json ./
COPY src ./src
RUN npm run build --silent

FROM node:20-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production PORT=3000 HOST=0.0.0.0 DATABASE_PATH=/data/ussd.db MENUS_DIR=/app/menus KNOWLEDGE_DIR=/app/knowledge
# As npm start: two malloc arenas instead of one per thread (issue 7: -5 to -10 MB RSS under load).
ENV MALLOC_ARENA_MAX=2
COPY --from=build /app/node_modules ./node_modules
COPY package.json ./
COPY menus ./menus
COPY knowledge ./knowledge
RUN mkdir -p /data && chown node:node /data
USER node
EXPOSE 3000
HEALTHCHECK --interval=10s --timeout=3s --retries=3 CMD node -e "fetch('http://127.0.0.1:'+(process.env.PORT||3000)+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
CMD ["node", "--max-semi-space-size=4", "--heap-growing-percent=100", "node_modules/.cache/ussd-ai-gateway/main.js"]
