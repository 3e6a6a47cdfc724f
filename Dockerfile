# mr: one image for the master, core and task workers and the CLI (`docker compose up`, Kubernetes,
# or any fleet). Build stage: install, compile, then drop dev dependencies.
FROM node:20-slim AS build
WORKDIR /app
# dependencies first, from the manifests alone: a change to the sources reuses this layer
COPY package.json package-lock.json ./
COPY packages/shared/package.json packages/shared/
COPY packages/jobs/package.json packages/jobs/
COPY packages/worker/package.json packages/worker/
COPY packages/master/package.json packages/master/
COPY packages/cli/package.json packages/cli/
COPY packages/cli/bin packages/cli/bin
RUN npm ci --no-audit --no-fund
COPY tsconfig.base.json tsconfig.json ./
COPY packages ./packages
RUN npm run build \
 && npm prune --omit=dev --no-audit --no-fund \
 && rm -rf packages/*/src packages/*/tsconfig.tsbuildinfo

FROM node:20-slim
ENV NODE_ENV=production \
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED=true \
    MR_HOME=/data
WORKDIR /app
COPY --from=build /app /app
# the health check of compose services and Kubernetes exec probes (the image has no curl)
COPY deploy/healthcheck.mjs /app/deploy/healthcheck.mjs
# a non-root user owns the data directory (named volumes copy its ownership); numeric, so that
# Kubernetes' runAsNonRoot can check it. `mr` on the PATH for `docker compose exec`/`kubectl exec`.
RUN groupadd --system --gid 10001 mr && useradd --system --create-home --uid 10001 --gid 10001 mr \
 && mkdir -p /data && chown mr:mr /data \
 && ln -s /app/packages/cli/bin/mr.js /usr/local/bin/mr
USER 10001:10001
VOLUME ["/data"]
EXPOSE 7070 7071 8088
ENTRYPOINT ["node", "/app/packages/cli/bin/mr.js"]
CMD ["--help"]
