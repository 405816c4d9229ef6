# Multi-stage build: a static binary (no cgo: the SQLite driver for the
# WhatsApp device store is pure Go) on a distroless base, as a non-root user.
FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
# What `umkmbot version` prints (the build context has no .git):
#   docker build --build-arg VERSION=v1.0.0 --build-arg COMMIT=$(git rev-parse HEAD) .
ARG VERSION=""
ARG COMMIT=""
RUN CGO_ENABLED=0 go build -trimpath -buildvcs=false \
      -ldflags="-s -w -X main.version=${VERSION} -X main.commit=${COMMIT} -X main.buildTime=$(date -u +%Y-%m-%dT%H:%M:%SZ)" \
      -o /out/umkmbot ./cmd/umkmbot \
 && mkdir -p /out/data

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/umkmbot /usr/local/bin/umkmbot
# /data belongs to the non-root user (65532) in the image, so a named volume
# mounted there starts out writable by it.
COPY --from=build --chown=65532:65532 /out/data /data
# Asia/Jakarta comes from the Go binary's embedded tzdata fallback (bot.Jakarta).
ENV DATA_DIR=/data
# Metrics, /healthz and /readyz inside the container (not published by
# default); `umkmbot healthcheck` asks /healthz there.
ENV METRICS_LISTEN=0.0.0.0:9090
VOLUME ["/data"]
USER 65532:65532
# `umkmbot healthcheck` asks the running serve's /healthz (the process is up;
# `--ready` would also require Redis and the channels, which a restart does not
# fix); distroless has no shell or curl.
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
  CMD ["/usr/local/bin/umkmbot", "healthcheck"]
ENTRYPOINT ["/usr/local/bin/umkmbot"]
CMD ["serve"]
