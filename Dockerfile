# Multi-stage build: a static binary (no cgo: the SQLite driver for the
# WhatsApp device store is pure Go) on a distroless base, as a non-root user.
FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o /out/umkmbot ./cmd/umkmbot

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/umkmbot /usr/local/bin/umkmbot
# Asia/Jakarta comes from the Go binary's embedded tzdata fallback (bot.Jakarta).
ENV DATA_DIR=/data
VOLUME ["/data"]
USER nonroot:nonroot
ENTRYPOINT ["/usr/local/bin/umkmbot"]
CMD ["serve"]
