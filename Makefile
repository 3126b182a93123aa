# Everything installs what it needs: Debian packages (as root) and npm packages.
.PHONY: setup build test test-fast test-boot demo bench readme image image-test clean

STAMP := node_modules/.installed

setup: $(STAMP)
	sh scripts/setup.sh

$(STAMP): package.json package-lock.json
	npm ci --no-audit --no-fund
	touch $@

build: $(STAMP)
	npm run build

# Everything: build, lint, type-check, unit and system tests (the README's test command).
test: setup
	npm test

# The unit tier alone (no kernel, no root): seconds.
test-fast: $(STAMP)
	npm run test:fast

# persist proven by a real boot: a Debian 12 VM under qemu-system-x86_64, booted with binfmt.d and with the unit.
test-boot: setup build
	sh scripts/test-boot.sh

# Installs only what the demo needs (qemu-user-static, an arm64 busybox in .cache/).
demo: build
	sh scripts/setup.sh demo
	sh scripts/demo.sh

bench: setup build
	sh scripts/bench.sh

# The container image (Dockerfile), and a real run of it with docker or podman when either works.
image: build
	sh scripts/image.sh

image-test: setup build
	sh scripts/image-test.sh

# Rewrites the platform table in docs/platforms.md from platforms/platforms.json.
readme: build
	node scripts/platforms-table.js

clean:
	rm -rf dist build node_modules .cache
