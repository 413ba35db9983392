# wk's build. `make run` builds wk and starts a local cluster; `make test` runs every test.
GO        ?= go
BIN       := bin/wk
VERSION   ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS   := -s -w -X github.com/wk-project/wk/cmd.Version=$(VERSION)
FUZZTIME  ?= 20s

SAMPLES   := hello client shared

TOOLBOX   := node/toolbox/bin/toolbox.wasm

.PHONY: build run test fuzz bench bench-proxy lint clean samples

build: $(TOOLBOX)
	$(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $(BIN) ./cmd/wk

# The toolbox `wk exec` runs in wasm pods, embedded in wk.
$(TOOLBOX): $(wildcard node/toolbox/guest/*.go) $(wildcard wasmrt/guest/*.go)
	GOOS=wasip1 GOARCH=wasm $(GO) build -trimpath -ldflags '-s -w' -o $@ ./node/toolbox/guest

# The sample guests, as samples/NAME/NAME.wasm beside their manifests.
samples: $(foreach s,$(SAMPLES),samples/$(s)/$(s).wasm) samples/hello-c/hello-c.wasm

# The C sample needs clang, lld, wasi-libc and libclang-rt-14-dev-wasm32 (Debian packages).
samples/hello-c/hello-c.wasm: samples/hello-c/hello.c
	clang --target=wasm32-wasi --sysroot=/usr -O2 -Wl,--strip-all -o $@ $<

samples/%.wasm: $(wildcard samples/*/*.go) $(wildcard wasmrt/guest/*.go)
	GOOS=wasip1 GOARCH=wasm $(GO) build -trimpath -ldflags '-s -w' -o $@ ./$(dir $@)

# A local one-node cluster on the embedded store in ~/.wk/data, in the foreground, with the hello
# sample deployed.
run: build samples/hello/hello.wasm
	./$(BIN) up --apply samples/hello/hello.yaml

# Every test (with the toolbox built, as the e2e tests exec into pods), then each fuzz target for a
# bounded time.
test: $(TOOLBOX)
	$(GO) vet ./...
	$(GO) test -count=1 -timeout 14m ./...
	$(MAKE) fuzz

fuzz:
	$(GO) test ./control/api -run '^$$' -fuzz '^FuzzDecodeManifest$$' -fuzztime $(FUZZTIME)
	$(GO) test ./control/client -run '^$$' -fuzz '^FuzzParseJoinToken$$' -fuzztime $(FUZZTIME)

# Ingress, NodePort, the pod directly and nginx under wrk in one run (needs wrk and nginx).
bench-proxy: build
	./bench/proxy.sh $(BIN)

bench: build
	$(GO) test -run '^$$' -bench . -benchtime 2000x ./control/store/
	$(GO) test -run '^$$' -bench . -benchmem ./control/scheduler/
	$(GO) test -run '^$$' -bench 'APICreate|WatchLatency' -benchtime 3000x ./bench/
	$(GO) test -run '^$$' -bench 'ApplyToReady|PodsPerSecond' -benchtime 50x ./bench/
	$(GO) test -run '^$$' -bench 'IdleHelloPods' -benchtime 1x ./bench/
	$(GO) test -run '^$$' -bench 'RuncVsWasm' -benchtime 10x ./bench/
	./bench/startup.sh $(BIN)
	./$(BIN) bench schedule --nodes 5000 --pods 50000

lint:
	@test -z "$$(gofmt -l $$(git ls-files -co --exclude-standard '*.go'))" || (gofmt -l $$(git ls-files -co --exclude-standard '*.go'); exit 1)
	$(GO) vet ./...

clean:
	rm -rf bin samples/*/*.wasm $(TOOLBOX)
