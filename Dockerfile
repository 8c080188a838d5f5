# The connector's image on Node 24 LTS: one build, run as the API or the worker (docker-compose.yml and
# deploy/kubernetes/ pick the command). USER node is uid 1000, as the Kubernetes manifests require (runAsNonRoot).
FROM node:24-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts
COPY . .
RUN npm run build && npm prune --omit=dev --ignore-scripts

FROM node:24-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY --from=build /app/console/dist ./console/dist
COPY package.json ./
USER node
CMD ["node", "dist/bin/api.js"]
