# syntax=docker/dockerfile:1
# ipack-gateway: a static binary on a distroless, non-root base.
#
#   docker build --build-arg VERSION=v1.2.3 -t ipack-gateway .
#   docker run -p 8080:8080 -v $PWD/gateway.yaml:/etc/ipack-gateway/gateway.yaml:ro \
#     -e BOOMI_API_TOKEN ipack-gateway            # the config must listen on 0.0.0.0:8080
#   docker run -p 8080:8080 ipack-gateway -listen 0.0.0.0:8080   # demo mode

ARG GO_VERSION=1.26

FROM golang:${GO_VERSION}-bookworm AS build
WORKDIR /src
# Only the gateway's module: go.work would pull in tools/, which is not copied.
ENV GOWORK=off
# Modules first, so a source change does not download them again.
COPY go.mod go.sum ./
RUN --mount=type=cache,target=/go/pkg/mod go mod download
COPY . .
ARG VERSION=""
# CGO off: a static binary that needs no libc in the final image.
RUN --mount=type=cache,target=/go/pkg/mod --mount=type=cache,target=/root/.cache/go-build \
    CGO_ENABLED=0 GOOS=linux go build -trimpath -buildvcs=false \
      -ldflags "-s -w -X main.buildVersion=${VERSION}" \
      -o /out/ipack-gateway ./cmd/gateway \
 && /out/ipack-gateway -version

# distroless/static: CA certificates and tzdata, no shell, no package
# manager; the nonroot tag runs as uid/gid 65532.
FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/ipack-gateway /ipack-gateway
USER 65532:65532
EXPOSE 8080
ENTRYPOINT ["/ipack-gateway"]
CMD ["-config", "/etc/ipack-gateway/gateway.yaml"]
