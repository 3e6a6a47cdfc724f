# mr: one image for the master, core and task workers and the CLI (`docker compose up`, or any fleet).
# Build stage: install, compile, then drop dev dependencies.
FROM node:20-slim AS build
WORKDIR /app
COPY package.json package-lock.json tsconfig.base.json tsconfig.json ./
COPY packages ./packages
RUN npm ci --no-audit --no-fund \
 && npm run build \
 && npm prune --omit=dev --no-audit --no-fund \
 && rm -rf packages/*/src packages/*/tsconfig.tsbuildinfo

FROM node:20-slim
ENV NODE_ENV=production \
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED=true \
    MR_HOME=/data
WORKDIR /app
COPY --from=build /app /app
# a non-root user owns the data directory (named volumes copy its ownership)
RUN useradd --system --create-home --uid 10001 mr && mkdir -p /data && chown mr:mr /data
USER mr
VOLUME ["/data"]
EXPOSE 7070 7071 8088
ENTRYPOINT ["node", "/app/packages/cli/bin/mr.js"]
CMD ["--help"]
