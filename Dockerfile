# syntax=docker/dockerfile:1
#
# The exporter as a static binary on an empty base image: the binary, CA
# certificates (for --rocketmq.tls) and a non-root user, nothing else.
#
#   docker build -t rocketmq_exporter \
#     --build-arg VERSION=$(git describe --tags --always --dirty) \
#     --build-arg REVISION=$(git rev-parse HEAD) \
#     --build-arg BRANCH=$(git rev-parse --abbrev-ref HEAD) .
#
# Any target platform builds on the build platform's Go (a cross build, no
# emulation): docker buildx build --platform linux/amd64,linux/arm64 ...
#
# The go build line uses the Makefile's flags (`make static-check` builds the
# same way); deploy/deploy_test.go fails when the two drift apart.

FROM --platform=$BUILDPLATFORM golang:1.26 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG TARGETOS
ARG TARGETARCH
ARG VERSION=dev
ARG REVISION=unknown
ARG BRANCH=unknown
RUN CGO_ENABLED=0 GOOS=${TARGETOS} GOARCH=${TARGETARCH} go build -trimpath \
      -ldflags "-s -w -X github.com/prometheus/common/version.Version=${VERSION} -X github.com/prometheus/common/version.Revision=${REVISION} -X github.com/prometheus/common/version.Branch=${BRANCH}" \
      -o /out/rocketmq_exporter ./cmd/exporter

FROM scratch
ARG VERSION=dev
ARG REVISION=unknown
LABEL org.opencontainers.image.title="rocketmq_exporter" \
      org.opencontainers.image.description="Prometheus exporter for Apache RocketMQ" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}" \
      org.opencontainers.image.source="https://github.com/rocketmq-exporter/rocketmq_exporter" \
      org.opencontainers.image.licenses="Apache-2.0"
COPY --from=build /etc/ssl/certs/ca-certificates.crt /etc/ssl/certs/ca-certificates.crt
COPY --from=build /out/rocketmq_exporter /bin/rocketmq_exporter
USER 65534:65534
EXPOSE 5557
ENTRYPOINT ["/bin/rocketmq_exporter"]
