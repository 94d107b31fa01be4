# Multi-platform: docker buildx build --platform linux/amd64,linux/arm64,linux/arm/v7 .
# (node:20-bookworm-slim is published for all three.) The build stage runs on the builder's own
# platform: the runtime dependencies are plain JavaScript, so its node_modules serve any target.
# Build stage: compile TypeScript with the dev dependencies.
FROM --platform=$BUILDPLATFORM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json manifest.yaml ./
COPY types ./types
COPY interfaces ./interfaces
COPY scripts ./scripts
COPY src ./src
RUN npm run build && npm prune --omit=dev

# Runtime stage: only the compiled module and its production dependencies, as a non-root user.
FROM node:20-bookworm-slim
ENV NODE_ENV=production
WORKDIR /app
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json manifest.yaml ./
# the persistence volume (persistence_file: /data/reservations.json) must be the module's own
RUN mkdir /data && chown node:node /data
VOLUME /data
USER node
ENTRYPOINT ["node", "dist/main.js"]
