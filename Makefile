# minirun: `make demo` shows the seed article's three scenes, `make test`
# runs every test. Both install what is missing first.

GO      ?= go
BIN     := bin/minirun
# The small init minirun starts for containers and execs
# (container/initexe.go), built twice: in pure Go, and with cgo and the C
# pre-main of package nsenter (for execs and joined namespaces). Both must
# sit beside minirun.
INIT_BIN := bin/minirun-init
NSINIT_BIN := bin/minirun-init-nsenter
DOCKER_BIN := bin/minirun-docker
DEMO    := build/demo
PKGS     = $(shell $(GO) list ./... | grep -v /tests$$)
# tini: run --init binds its static build (/usr/bin/tini-static) in as PID 1.
# passt: pasta, a rootless container's network (docker/pasta.go).
APT_PKGS := libseccomp-dev busybox-static file uidmap tini containernetworking-plugins iptables iproute2 passt
BENCH_PKGS := hyperfine jq runc crun

.PHONY: all build deps man demo test unit integration integration-cri integration-dockerd soak soak-load bench bench-ps bench-docker bench-cri bench-seccomp walkthrough vet fmt clean

all: build

# Install the system packages the build and the tests need, if missing.
deps:
	@missing=""; for p in $(APT_PKGS); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
		echo "installing:$$missing"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; \
	fi

# A static binary when libseccomp's static library is there (Debian ships
# it in libseccomp-dev), so the runtime never loads a library at start.
COMMIT  := $(shell git rev-parse HEAD 2>/dev/null)
VERSION_LDFLAGS := -X github.com/minirun/minirun/internal/version.Commit=$(COMMIT)

# bin/minirun (cmd/minirun) has the OCI commands, no image store or
# registry client; bin/minirun-docker (cmd/minirun-docker), the full
# program, takes the Docker-style commands minirun hands it
# (cmd/internal/cmdline/forward.go).
build: deps man
	@mkdir -p bin
	CGO_ENABLED=1 $(GO) build -trimpath -tags osusergo,netgo,urfave_cli_no_docs -ldflags '-s -w $(VERSION_LDFLAGS) -extldflags "-static"' -o $(BIN) ./cmd/minirun 2>/dev/null || \
		CGO_ENABLED=1 $(GO) build -trimpath -ldflags '$(VERSION_LDFLAGS)' -o $(BIN) ./cmd/minirun
	CGO_ENABLED=1 $(GO) build -trimpath -tags osusergo,netgo,urfave_cli_no_docs -ldflags '-s -w $(VERSION_LDFLAGS) -extldflags "-static"' -o $(DOCKER_BIN) ./cmd/minirun-docker 2>/dev/null || \
		CGO_ENABLED=1 $(GO) build -trimpath -ldflags '$(VERSION_LDFLAGS)' -o $(DOCKER_BIN) ./cmd/minirun-docker
	CGO_ENABLED=0 $(GO) build -trimpath -tags osusergo,netgo -ldflags '-s -w $(VERSION_LDFLAGS)' -o $(INIT_BIN) ./cmd/minirun-init
	CGO_ENABLED=1 $(GO) build -trimpath -tags osusergo,netgo -ldflags '-s -w $(VERSION_LDFLAGS) -extldflags "-static"' -o $(NSINIT_BIN) ./cmd/minirun-init 2>/dev/null || \
		CGO_ENABLED=1 $(GO) build -trimpath -ldflags '$(VERSION_LDFLAGS)' -o $(NSINIT_BIN) ./cmd/minirun-init

# Man pages, generated from the command line: man/minirun.1 and one
# minirun-CMD.1 a command (`man -l man/minirun-cp.1`). The generator is
# minirun-docker built with the mangen tag (cmd/minirun-docker/mangen.go),
# as the shipped programs are built without urfave/cli's docs code.
MAN_DIR := man
MAN_SRCS = $(shell find cmd docker -name '*.go' -not -name '*_test.go')
man: $(MAN_DIR)/minirun.1
$(MAN_DIR)/minirun.1: $(MAN_SRCS)
	@rm -rf $(MAN_DIR).tmp
	CGO_ENABLED=1 $(GO) run -tags mangen ./cmd/minirun-docker $(MAN_DIR).tmp
	@rm -rf $(MAN_DIR) && mv $(MAN_DIR).tmp $(MAN_DIR)

demo: build
	@./scripts/demo.sh $(BIN)

vet:
	$(GO) vet ./...
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || { gofmt -l $$(git ls-files '*.go'); exit 1; }

unit: deps
	$(GO) test $(PKGS)

integration: build
	MINIRUN_BIN=$(CURDIR)/$(BIN) $(GO) test -count=1 -timeout 20m ./tests/

# containerd's CRI plugin and crictl run pods on minirun and on runc, case
# by case (tests/cri.sh; it installs containerd and builds crictl if
# missing, and skips without root).
integration-cri: build
	./tests/cri.sh $(BIN)

# Docker Engine (Debian's docker.io) runs the seed article's scenes and a
# day of Docker use on minirun and on runc, case by case (tests/dockerd.sh;
# it installs docker.io if missing, and skips without root).
integration-dockerd: build
	./tests/dockerd.sh $(BIN)

test: vet unit integration integration-cri integration-dockerd

# Load: 1,000 sequential runs of true, 200 parallel (20 at a time) and 100
# execs into one container, then a check that no fd, mount, process,
# cgroup or state was left. `make test` runs a small version of it. Run it
# as root in a private pid+mount namespace whose PID 1 reaps, as the
# integration tests.
soak-load: build
	MINIRUN_SOAK=1 MINIRUN_BIN=$(CURDIR)/$(BIN) $(GO) test -count=1 -timeout 60m -v -run '^TestSoakLoad$$' ./tests/

# Each fuzz target for FUZZTIME; not part of `make test`, as it runs for
# minutes and finds new inputs rather than checking known ones. Minimizing
# a new input is capped at FUZZMINTIME: at Go's default of 60 s the
# workers spend the run minimizing instead of fuzzing. A crasher lands in
# the package's testdata/fuzz/ and fails the target.
FUZZTIME    ?= 20s
FUZZMINTIME ?= 3s
FUZZ_TARGETS := ./container/config:FuzzLoadSpec ./seccomp:FuzzProfile ./image:FuzzUnpack
soak: deps soak-load
	@set -e; for t in $(FUZZ_TARGETS); do \
		pkg=$${t%%:*}; fn=$${t##*:}; \
		echo "soak: $$fn in $$pkg for $(FUZZTIME)"; \
		$(GO) test -run '^$$' -fuzz "^$$fn$$" -fuzztime $(FUZZTIME) -fuzzminimizetime $(FUZZMINTIME) $$pkg; \
	done

bench: build
	@missing=""; for p in $(BENCH_PKGS); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
		echo "installing:$$missing"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; \
	fi
	@./scripts/bench.sh $(BIN)
	@./scripts/bench-ps.sh $(BIN)
	@./scripts/bench-logs.sh $(BIN)
	@./scripts/bench-docker.sh $(BIN)
	@./scripts/bench-cri.sh $(BIN)
	@./scripts/bench-net.sh $(BIN)

# The start a user feels through Docker Engine and through containerd's
# CRI, with minirun, runc and crun (issue 24); each skips in one line when
# a tool is missing. bench-net shows Docker Engine's bridge cost from the
# bench-docker run before it.
bench-docker: build
	@./scripts/bench-docker.sh $(BIN)

bench-cri: build
	@./scripts/bench-cri.sh $(BIN)

# ps -a over 500 containers, most of them exited (issue 22: under 100 ms).
bench-ps: build
	@./scripts/bench-ps.sh $(BIN)

# What --seccomp-report and --seccomp-record cost (hyperfine).
bench-seccomp: build
	@./scripts/bench-seccomp-watch.sh $(BIN)

# Run the commands of the seccomp walkthrough docs and write their output
# under them (TestWalkthrough checks they still match).
WALKTHROUGH := docs/seccomp-walkthrough.md docs/seccomp-walkthrough.zh.md
walkthrough: build
	$(GO) run scripts/walkthrough.go -bin $(BIN) $(WALKTHROUGH)

clean:
	rm -rf bin build man
