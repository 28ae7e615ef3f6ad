# One image for every Jieneng component; the command picks the component (see docker-compose.yml).
# Node 24 is the active LTS line (supported until April 2028); package.json's engines (>= 20.19) allow it, and
# better-sqlite3 12 supports Node 20 to 26. Debian 12 (bookworm), the system the tests run on.
ARG NODE_IMAGE=node:24-bookworm-slim

# Dependencies, with the compilers better-sqlite3 and serialport need when no prebuilt addon fits; kept out of the
# runtime image.
FROM ${NODE_IMAGE} AS deps
WORKDIR /app
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund

FROM ${NODE_IMAGE}
WORKDIR /app
ENV NODE_ENV=production DATA_DIR=/data
COPY --from=deps /app/node_modules ./node_modules
COPY . .
# The data directory (embedded store, queues, collector state, API keys) belongs to the user the image runs as; a
# named volume mounted there (docker-compose.yml) starts with this owner.
RUN mkdir -p /data && chown node:node /data
USER node
# No curl in a slim image: the health checks of docker-compose.yml run `node bin/healthcheck.js URL`.
ENTRYPOINT ["node", "bin/jieneng.js"]
