# syntax=docker/dockerfile:1
# The two bases are build arguments so an air-gapped builder can pass local
# images (docs/deploy.md says how; deploy/container_test.go does it with
# bases made from the machine's own Go toolchain):
#   podman build --build-arg BUILD_IMAGE=localhost/go-build:1.26 \
#                --build-arg RUNTIME_IMAGE=localhost/static-nonroot:1 -t aspire-graphql .
ARG BUILD_IMAGE=golang:1.26-bookworm
ARG RUNTIME_IMAGE=gcr.io/distroless/static-debian12:nonroot

# Build: a static binary (no cgo), the playground assets already embedded.
FROM ${BUILD_IMAGE} AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o /out/aspire-graphql .

# Run: distroless static, non-root, no shell; the binary checks its own health.
FROM ${RUNTIME_IMAGE}
COPY --from=build /out/aspire-graphql /aspire-graphql
ENV ASPIRE_GRAPHQL_ADDR=0.0.0.0:8080
EXPOSE 8080
USER nonroot:nonroot
HEALTHCHECK --interval=30s --timeout=5s --start-period=5s --retries=3 CMD ["/aspire-graphql", "healthcheck"]
ENTRYPOINT ["/aspire-graphql"]
