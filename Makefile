# metal3-fkas developer entry points. `make help` lists them.
SHELL := /bin/bash
.DEFAULT_GOAL := help

node_modules: package.json package-lock.json
	npm ci --no-audit --no-fund
	@touch node_modules

.PHONY: help
help: ## List the targets
	@grep -E '^[a-zA-Z_-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-14s %s\n", $$1, $$2}'

.PHONY: build
build: node_modules ## Compile TypeScript into dist/
	npm run build

.PHONY: run
run: node_modules ## Serve one fake cluster and write ./fkas-simulate.kubeconfig
	npm start

.PHONY: test
test: node_modules ## Run every suite (what CI runs)
	npm test

.PHONY: tools
tools: ## Build kube-apiserver, etcd and the Cluster API managers for the tests into bin/
	bash hack/tools/build.sh all

.PHONY: dev-cluster
dev-cluster: node_modules ## Start a real kube-apiserver (+ CAPI with ARGS=--capi) for running the operator by hand
	npm run dev:cluster -- $(ARGS)

.PHONY: bench
bench: node_modules ## Print the performance figures
	npm run bench

.PHONY: typecheck
typecheck: node_modules ## Type-check without emitting
	npm run typecheck
