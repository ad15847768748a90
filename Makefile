# rocketmq_exporter — see README.md.
GO        ?= go
BIN       ?= rocketmq_exporter
# Tag v1.2.3 is version 1.2.3 (and image tag 1.2.3), as in the Prometheus exporters.
VERSION   ?= $(patsubst v%,%,$(shell git describe --tags --always --dirty 2>/dev/null || echo dev))
REVISION  ?= $(shell git rev-parse HEAD 2>/dev/null || echo unknown)
BRANCH    ?= $(shell git rev-parse --abbrev-ref HEAD 2>/dev/null || echo unknown)
# The same flags the Dockerfile uses: a static binary with build info.
LDFLAGS   := -s -w \
	-X github.com/prometheus/common/version.Version=$(VERSION) \
	-X github.com/prometheus/common/version.Revision=$(REVISION) \
	-X github.com/prometheus/common/version.Branch=$(BRANCH)
# A count, not a duration: with a duration, Go 1.26's fuzz coordinator can
# report "context deadline exceeded" when the time is up on a loaded machine,
# with no failing input (go.dev/issue/75804, fixed in Go 1.27).
FUZZTIME  ?= 300000x
FUZZTIME_DIFF ?= 10000x
ROCKETMQ_VERSION ?= 5.3.3
export ROCKETMQ_VERSION

.PHONY: build run test test-short fuzz lint bench bench-go bench-real static-check check-long helm-refresh goldens release clean

build:
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $(BIN) ./cmd/exporter

# A local RocketMQ, a demo workload and the exporter on :5557. Ctrl-C stops all.
run: build
	$(GO) build -o bin/demo ./cmd/demo
	./bin/demo -exporter ./$(BIN)

# Every test: unit, fuzz (bounded), and end-to-end against a real broker
# (started per test package) and a real Prometheus.
test: lint
	$(GO) test -race -timeout 25m ./...
	$(MAKE) fuzz
	$(MAKE) static-check

test-short:
	$(GO) test -short ./...

# ROCKETMQ_SKIP_REAL: a fuzz run needs no broker, and admin's TestMain would
# start one for every target (about 20 s each, 8 targets).
fuzz: export ROCKETMQ_SKIP_REAL = 1
fuzz:
	$(GO) test -run '^$$' -fuzz '^FuzzDecodeFrame$$' -fuzztime $(FUZZTIME) ./remoting
	$(GO) test -run '^$$' -fuzz '^FuzzNormalize$$' -fuzztime $(FUZZTIME) ./fastjson
# The fast paths against encoding/json (differential): a smaller budget each
# (their seeds, the three versions' recordings, run in go test too); CI runs
# all seventeen within its half hour.
	$(GO) test -run '^$$' -fuzz '^FuzzAppendString$$' -fuzztime $(FUZZTIME_DIFF) ./fastjson
	$(GO) test -run '^$$' -fuzz '^FuzzUnmarshalMatchesDecoder$$' -fuzztime $(FUZZTIME_DIFF) ./fastjson
	$(GO) test -run '^$$' -fuzz '^FuzzAppendFrameHeader$$' -fuzztime $(FUZZTIME_DIFF) ./remoting
	$(GO) test -run '^$$' -fuzz '^FuzzDecodeJSONHeader$$' -fuzztime $(FUZZTIME_DIFF) ./remoting
	$(GO) test -run '^$$' -fuzz '^FuzzQueueTable$$' -fuzztime $(FUZZTIME_DIFF) ./admin
	$(GO) test -run '^$$' -fuzz '^FuzzParseMessageQueue$$' -fuzztime $(FUZZTIME_DIFF) ./admin
	$(GO) test -run '^$$' -fuzz '^FuzzTopicStatsFast$$' -fuzztime $(FUZZTIME_DIFF) ./admin
	$(GO) test -run '^$$' -fuzz '^FuzzBrokerConsumeStatsFast$$' -fuzztime $(FUZZTIME_DIFF) ./admin
	$(GO) test -run '^$$' -fuzz '^FuzzSiftedConsumeStats$$' -fuzztime $(FUZZTIME_DIFF) ./admin
	$(GO) test -run '^$$' -fuzz '^FuzzTopicConfigFast$$' -fuzztime $(FUZZTIME_DIFF) ./admin
	$(GO) test -run '^$$' -fuzz '^FuzzSubscriptionGroupFast$$' -fuzztime $(FUZZTIME_DIFF) ./admin
	$(GO) test -run '^$$' -fuzz '^FuzzSiftedTopicConfig$$' -fuzztime $(FUZZTIME_DIFF) ./admin
	$(GO) test -run '^$$' -fuzz '^FuzzSiftedSubscriptionGroups$$' -fuzztime $(FUZZTIME_DIFF) ./admin
	$(GO) test -run '^$$' -fuzz '^FuzzBrokerStatsDataFast$$' -fuzztime $(FUZZTIME_DIFF) ./admin
	$(GO) test -run '^$$' -fuzz '^FuzzTimeSpanFast$$' -fuzztime $(FUZZTIME_DIFF) ./admin
	$(GO) test -run '^$$' -fuzz '^FuzzConsumerOffsetsFast$$' -fuzztime $(FUZZTIME_DIFF) ./admin
	$(GO) test -run '^$$' -fuzz '^FuzzConsumerConnectionFast$$' -fuzztime $(FUZZTIME_DIFF) ./admin

lint:
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...

# The model checker (package check) over many more seeds and longer logs
# than the few make test runs; CHECK_SEED=<n> replays one seed.
check-long:
	$(GO) test -count=1 -timeout 90m -run '^TestCheck$$' ./check/ -check.long -v

# The binary built exactly as the Dockerfile builds it must be static. file
# must say so: without file(1) the check fails rather than pass unseen.
static-check: build
	@command -v file >/dev/null || { echo "static-check needs file(1) (Debian: apt-get install file)"; exit 1; }
	@out=$$(file $(BIN)); case "$$out" in *'statically linked'*) echo "$(BIN) is statically linked";; \
	  *) echo "$(BIN) is not static: $$out"; exit 1;; esac

# Rewrite every checked-in file the code generates, on purpose: the golden
# exposition and docs/metrics.md's table (collector), the golden /metrics of
# each recorded broker version (app), the rendered alerts and dashboards
# (mixin) and the Helm chart's copies of them. .ci/run runs this after
# make test and fails when it changes anything: review the diff, then commit it.
goldens:
	$(GO) test -count=1 -run '^(TestGolden|TestDocs|TestSeriesPerFamilySet)$$' ./collector -update
	$(GO) test -count=1 -run '^TestGoldenMetrics$$' ./app -update
	$(GO) test -count=1 -run '^TestGenerated$$' ./mixin -update
	$(MAKE) helm-refresh

# The BENCHMARKS.md tables (simulated cluster, 1k/10k/100k topics, churn soak).
bench:
	$(GO) run ./cmd/bench

bench-go:
	$(GO) test -run '^$$' -bench . -benchmem ./scale ./collector

# The exporter measured is the binary make build makes (static, as released).
bench-real: build
	$(GO) run ./cmd/benchreal -exporter ./$(BIN)

# The Helm chart reads no file outside its directory: refresh its copies of
# the rendered alerts and dashboards (deploy/helm_test.go checks they match).
HELM_FILES := deploy/helm/rocketmq-exporter/files
helm-refresh:
	cp alerts/rocketmq-alerts.yaml $(HELM_FILES)/
	rm -f $(HELM_FILES)/dashboards/*.json
	cp dashboards/*.json $(HELM_FILES)/dashboards/

# Release archives, one per platform (static, -trimpath, the flags above),
# each holding the binary, LICENSE and README.md, and $(DIST)/sha256sums.txt.
# release/release_test.go builds them and checks every one.
DIST      ?= dist
PLATFORMS ?= linux/amd64 linux/arm64 darwin/amd64 darwin/arm64 windows/amd64
release:
	mkdir -p $(DIST)
	rm -f $(DIST)/$(BIN)-*.tar.gz $(DIST)/$(BIN)-*.zip $(DIST)/sha256sums.txt
	@set -e; for p in $(PLATFORMS); do \
	  os=$${p%/*}; arch=$${p#*/}; ext=; [ $$os != windows ] || ext=.exe; \
	  dir=$(BIN)-$(VERSION).$$os-$$arch; echo "release: $$dir"; \
	  rm -rf $(DIST)/$$dir; mkdir -p $(DIST)/$$dir; \
	  CGO_ENABLED=0 GOOS=$$os GOARCH=$$arch $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $(DIST)/$$dir/$(BIN)$$ext ./cmd/exporter; \
	  cp LICENSE README.md $(DIST)/$$dir/; \
	  if [ $$os = windows ]; then (cd $(DIST) && zip -qr $$dir.zip $$dir); \
	  else tar -C $(DIST) -czf $(DIST)/$$dir.tar.gz $$dir; fi; \
	  rm -rf $(DIST)/$$dir; \
	done
	cd $(DIST) && sha256sum $(BIN)-*.tar.gz $(BIN)-*.zip > sha256sums.txt

clean:
	rm -f $(BIN)
