# Every target works on a fresh Debian machine as root: the test targets
# install what they need first (Debian packages, crane).
SHELL := /bin/bash
RIG_CACHE ?= $(HOME)/.cache/idpbuilder-rig
export PATH := $(RIG_CACHE)/bin:$(PATH)
# The toolchain go.mod names: go1.26.10 fixes standard-library
# vulnerabilities govulncheck finds reachable in go1.26.8. The go command
# fetches it once through the module proxy, also where `go env` pins
# GOTOOLCHAIN=local (this project's machines do).
export GOTOOLCHAIN := $(shell sed -n 's/^toolchain //p' go.mod)

.PHONY: build install test check deps fmt-check vet lint unit cross tidy-check vulncheck \
	integration e2e demo bench bench-short fuzz release-snapshot release-test

# Pinned tools, installed with `go install` into $(RIG_CACHE)/bin/NAME-VERSION
# by hack/gotool.sh, and the vulnerability database (golang.org/x/vulndb has
# no tags: a pseudo-version is a commit of its data).
STATICCHECK_VERSION := v0.8.2
GOVULNCHECK_VERSION := v1.9.0
VULNDB_VERSION := v0.0.0-20261105234957-e22db6528018
# The release tools: GoReleaser (v2.15.1 is the newest the go.mod toolchain
# builds) and syft, which writes each archive's SBOM offline.
GORELEASER_VERSION := v2.15.1
SYFT_VERSION := v1.57.1

# Builds from a checkout are stamped as releases are (.goreleaser.yaml): the
# nearest tag (git describe; none gives "(devel)"), the commit and its date.
# The go command's own VCS stamp is often off (GOFLAGS=-buildvcs=false).
STAMP := github.com/cnoe-io/docker-credential-idpbuilder/internal/version
LDFLAGS := -s -w -X $(STAMP).version=$(shell git describe --tags --dirty 2>/dev/null) \
	-X $(STAMP).commit=$(shell git rev-parse HEAD 2>/dev/null) \
	-X $(STAMP).date=$(shell git log -1 --format=%cI 2>/dev/null)

# Both programs: docker-credential-idpbuilder (the protocol, no client-go)
# and docker-credential-idpbuilder-cluster (everything that talks to the
# cluster), which the helper finds beside itself.
build:
	CGO_ENABLED=0 go build -trimpath -ldflags='$(LDFLAGS)' -o bin/ ./cmd/...

# Installs both into $(go env GOPATH)/bin, which must be on PATH for docker
# to find the helper by name.
install:
	CGO_ENABLED=0 go install -trimpath -ldflags='$(LDFLAGS)' ./cmd/...

# The whole suite CI runs: the checks below, the integration tests against
# the real OS keyring and crane, and the end-to-end suite on the rig
# (kube-apiserver, Gitea, dockerd, six clients). A cold machine builds the
# rig's parts first (about 30 minutes on 2 cores, BuildKit included; cached after).
test: deps check integration e2e

# The fast gate before a commit (Go only, no rig): formatting, vet,
# staticcheck, go.mod tidy, the unit tests and the six cross-builds.
check: fmt-check vet lint tidy-check unit cross

deps:
	test/rig/build-clients.sh
	test/rig/build-buildkit.sh

fmt-check:
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed: $$out"; exit 1; fi

vet:
	go vet ./...
	go vet -tags integration ./test/integration/
	go vet -tags e2e ./test/e2e/
	go vet -tags release ./test/release/

# staticcheck's default checks over every package, the integration, e2e and
# release tests included (their files only build with those tags).
lint:
	@sc=$$(hack/gotool.sh staticcheck honnef.co/go/tools/cmd/staticcheck $(STATICCHECK_VERSION)) && \
	  echo "staticcheck $(STATICCHECK_VERSION) -tags integration,e2e,release ./..." && \
	  "$$sc" -tags integration,e2e,release ./...

# go.mod and go.sum are what `go mod tidy` makes them, here and in the
# benchmark's module.
tidy-check:
	@for m in . hack/bench; do \
	  (cd $$m && go mod tidy -diff) || { echo "tidy-check: run go mod tidy in $$m"; exit 1; }; \
	done

# Known vulnerabilities in the code paths the two programs reach (the
# standard library of the Go used to build included), offline: the database
# is built from the pinned golang.org/x/vulndb module (hack/vulndb.sh), and
# govulncheck runs with the module proxy off, so no network is needed once
# the modules are downloaded.
vulncheck:
	@db=$$(hack/vulndb.sh $(VULNDB_VERSION)) && \
	  gv=$$(hack/gotool.sh govulncheck golang.org/x/vuln/cmd/govulncheck $(GOVULNCHECK_VERSION)) && \
	  go mod download && \
	  echo "govulncheck $(GOVULNCHECK_VERSION), $$(go env GOVERSION), database golang.org/x/vulndb@$(VULNDB_VERSION)" && \
	  GOPROXY=off "$$gv" -db "file://$$db" ./...

unit:
	go test -count=1 ./...

# Every supported platform compiles without cgo, with -trimpath as the
# release builds them, so release-snapshot finds the packages compiled; and
# go vet, which compiles every package's tests too, runs for each of the
# others (vet covers linux/amd64), so a platform file no Linux test links
# cannot rot.
cross:
	@for os in linux darwin windows; do for arch in amd64 arm64; do \
	  echo "build and vet $$os/$$arch"; \
	  GOOS=$$os GOARCH=$$arch CGO_ENABLED=0 go build -trimpath ./cmd/... || exit 1; \
	  [[ $$os == linux ]] || GOOS=$$os GOARCH=$$arch CGO_ENABLED=0 go vet ./... || exit 1; \
	done; done

# The release (.goreleaser.yaml) in snapshot mode, published nowhere: into
# dist/ go the six archives (both programs, README, LICENSE, completions),
# checksums.txt, an SBOM per archive, deb and rpm packages and the Homebrew
# cask. release-test checks them, and runs this machine's archive.
release-snapshot:
	hack/release-snapshot.sh $(GORELEASER_VERSION) $(SYFT_VERSION)

release-test:
	go test -count=1 -tags release ./test/release/

# Real Secret Service (gnome-keyring over a private D-Bus session), the built
# binary, crane. The locked-keyring tests lock their session's keyring, so each
# runs in a session of its own, once without a display (the prompt fails) and
# once under Xvfb (the prompt waits for a person who never comes).
integration:
	hack/with-keyring.sh go test -count=1 -tags integration ./test/integration/
	IDPBUILDER_IT_LOCK=1 hack/with-keyring.sh go test -count=1 -tags integration -run Locked -v ./test/integration/
	IDPBUILDER_IT_LOCK=1 xvfb-run -a hack/with-keyring.sh go test -count=1 -tags integration -run Locked -v ./test/integration/

# The end-to-end suite: builds (or reuses) the rig's parts, then runs
# test/e2e in a private mount namespace and keyring session.
e2e:
	hack/e2e.sh

# The README's first command: the product working end to end, no idpbuilder
# cluster needed. `hack/demo.sh --keep` leaves a shell inside the rig.
demo:
	hack/demo.sh

# Performance (issues 5, 14): times get/version against their peers over 30
# process runs per case in a private keyring session with its own API server,
# then (as root) crane push, docker push and a classic docker build on the
# rig's Gitea and dockerd with the helper and without it (21 runs per case),
# and writes BENCHMARKS.md. bench-short is the quick check CI runs (3 runs per
# case, 2 per push case, BENCHMARKS.md untouched); timing never fails either.
bench:
	hack/bench/bench.sh

bench-short:
	hack/bench/bench.sh --short

# Every fuzz target for a bounded time each (FUZZTIME, default 20s), one
# worker (the machine is shared). A failure is written by go test under the
# package's testdata/fuzz/<Name>/ and stays there as a regression seed.
FUZZTIME ?= 20s
FUZZ_TARGETS := \
	./cmd/docker-credential-idpbuilder:FuzzProtocol \
	./internal/config:FuzzNormalize \
	./install:FuzzGiteaProviderEndpoint \
	./secrets:FuzzSecretDecode \
	./secrets:FuzzLocalbuildDecode \
	./secrets:FuzzResolve \
	./internal/jsonedit:FuzzEditor \
	./internal/gitcred:FuzzParse

fuzz:
	@failed=; for t in $(FUZZ_TARGETS); do \
	  pkg=$${t%%:*}; name=$${t##*:}; echo "fuzz $$name ($$pkg, $(FUZZTIME))"; \
	  hack/fuzz.sh $$pkg $$name $(FUZZTIME) || failed="$$failed $$name"; \
	done; if [ -n "$$failed" ]; then echo "fuzz: failed:$$failed"; exit 1; fi
