# aiemp in a container: the release binary on a slim Debian, the vault as a volume.
#
#   deno task compile:all                      # or download the binary and SHA256SUMS of a release
#   docker build -t aiemp .                    # add --build-arg WITH_CHROMIUM=true for WhatsApp and
#                                              # browser posting, --build-arg WITH_AGENT=true for Claude Code
#   docker run -d --name aiemp --restart on-failure -v aiemp-vault:/vault aiemp
#
# The container runs `aiemp start` on /vault (created with `aiemp vault init` the first time) as
# an unprivileged user; `docker stop` sends SIGTERM, and aiemp shuts down gracefully within the
# stop timeout (give `docker stop -t 40` if supervisor.shutdown_timeout_s is raised).
FROM debian:bookworm-slim

# Which binary: dist/aiemp-linux-x86_64 or dist/aiemp-linux-arm64.
ARG BINARY=dist/aiemp-linux-x86_64
# Chromium for WhatsApp Web and the browser drivers of social posting.
ARG WITH_CHROMIUM=false
# Node.js and the Claude Code CLI, the agent aiemp hands its tasks to (log in with `docker exec -it
# aiemp claude` once).
ARG WITH_AGENT=false

RUN set -eux; \
    packages="ca-certificates tini"; \
    if [ "$WITH_CHROMIUM" = true ]; then packages="$packages chromium fonts-liberation"; fi; \
    if [ "$WITH_AGENT" = true ]; then packages="$packages nodejs npm"; fi; \
    apt-get update; \
    apt-get install -y --no-install-recommends $packages; \
    if [ "$WITH_AGENT" = true ]; then npm install --global @anthropic-ai/claude-code; fi; \
    rm -rf /var/lib/apt/lists/*; \
    useradd --create-home --uid 1000 aiemp; \
    mkdir /vault; chown aiemp:aiemp /vault

COPY --chmod=0755 ${BINARY} /usr/local/bin/aiemp
COPY --chmod=0755 scripts/docker-entry.sh /usr/local/bin/aiemp-entry

USER aiemp
ENV AIEMP_VAULT=/vault
VOLUME /vault
STOPSIGNAL SIGTERM
HEALTHCHECK --interval=60s --timeout=10s --start-period=30s CMD aiemp health || exit 1
ENTRYPOINT ["tini", "--", "aiemp-entry"]
CMD ["start"]
