# syntax=docker/dockerfile:1
# Build: a static binary (no cgo), the playground assets already embedded.
FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o /out/aspire-graphql .

# Run: distroless static, non-root, no shell; the binary checks its own health.
FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/aspire-graphql /aspire-graphql
ENV ASPIRE_GRAPHQL_ADDR=0.0.0.0:8080
EXPOSE 8080
USER nonroot:nonroot
HEALTHCHECK --interval=30s --timeout=5s --start-period=5s --retries=3 CMD ["/aspire-graphql", "healthcheck"]
ENTRYPOINT ["/aspire-graphql"]
