# metal3-fkas operator image: `make build-fkas` (IMG=quay.io/metal3-io/metal3-fkas:<arch>).
# hack/image-smoke.sh runs these same steps without a container engine, and CI runs it:
# keep the two in line.

# Build stage: dev dependencies (esbuild), bundle into dist/fkas.js.
FROM node:20-bookworm-slim AS build
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY hack/build.mjs hack/
COPY hack/bundle/ hack/bundle/
COPY crds/ crds/
COPY src/ src/
RUN npm run build

# Runtime stage: production dependencies only, plus the compiled output.
FROM node:20-bookworm-slim AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund && npm cache clean --force

FROM node:20-bookworm-slim
LABEL org.opencontainers.image.title="metal3-fkas" \
      org.opencontainers.image.description="Fake Kubernetes API servers for Cluster API testing, run as a Kubernetes operator" \
      org.opencontainers.image.licenses="Apache-2.0"
ENV NODE_ENV=production
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY --from=build /src/package.json ./package.json
COPY --from=build /src/dist ./dist
# A numeric non-root user, so `runAsNonRoot: true` can verify it; the app writes nothing to
# its filesystem (kubeconfigs only in --embedded mode, which a pod does not use), so the
# root filesystem can be read-only.
USER 65532:65532
# 3333: legacy /register and /updateNode; 8081: /healthz, /readyz, /metrics.
# Fake clusters listen on --port-range (default 20000-29999).
EXPOSE 3333 8081
ENTRYPOINT ["node", "dist/fkas.js"]
CMD ["operator"]
