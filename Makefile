# metal3-fkas developer entry points. `make help` lists them.
SHELL := /bin/bash
.DEFAULT_GOAL := help

# The image: quay.io/metal3-io/metal3-fkas:<arch>, as the original FKAS tagged it.
ARCH ?= $(shell case "$$(uname -m)" in x86_64) echo amd64 ;; aarch64|arm64) echo arm64 ;; *) uname -m ;; esac)
IMG_REPO ?= quay.io/metal3-io/metal3-fkas
IMG ?= $(IMG_REPO):$(ARCH)
# docker or podman.
CONTAINER_TOOL ?= docker
KUBECTL ?= kubectl
# The kustomization `make deploy` applies: config/default, or config/metal3 for the Metal3 variant.
DEPLOY_CONFIG ?= config/default

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
run: node_modules ## Run the operator (embedded management API unless a kubeconfig is found)
	npm start

.PHONY: test
test: node_modules ## Run every suite (what CI runs)
	npm test

.PHONY: lint
lint: node_modules ## ESLint (typescript-eslint) and Prettier checks
	npm run lint

.PHONY: typecheck
typecheck: node_modules ## Type-check without emitting
	npm run typecheck

.PHONY: tools
tools: ## Build kube-apiserver, etcd, the Cluster API managers and helm for the tests into bin/
	bash hack/tools/build.sh all
	bash hack/tools/helm.sh

.PHONY: dev-cluster
dev-cluster: node_modules ## Start a real kube-apiserver (+ CAPI with ARGS=--capi) for running the operator by hand
	npm run dev:cluster -- $(ARGS)

.PHONY: bench
bench: node_modules ## Print the performance figures
	npm run bench

.PHONY: manifests
manifests: ## Render config/ into k8s/metal3-fkas-system.yaml and k8s/metal3-fkas-metal3.yaml
	bash hack/manifests.sh

.PHONY: build-fkas
build-fkas: ## Build the image $(IMG) (docker or CONTAINER_TOOL=podman)
	$(CONTAINER_TOOL) build --build-arg TARGETARCH=$(ARCH) -t $(IMG) .

.PHONY: docker-build
docker-build: build-fkas ## Same as build-fkas

.PHONY: docker-push
docker-push: ## Push $(IMG)
	$(CONTAINER_TOOL) push $(IMG)

.PHONY: image-smoke
image-smoke: ## What the image does, without a container engine: production install, start, /healthz
	bash hack/image-smoke.sh

.PHONY: deploy
deploy: ## Install into the current kubectl context ($(DEPLOY_CONFIG) with image $(IMG))
	$(KUBECTL) kustomize $(DEPLOY_CONFIG) | sed 's#image: $(IMG_REPO):amd64#image: $(IMG)#' | $(KUBECTL) apply --server-side -f -

.PHONY: undeploy
undeploy: ## Remove what deploy installed (CRDs too: every FakeAPIServer and FakeNode goes)
	$(KUBECTL) kustomize $(DEPLOY_CONFIG) | $(KUBECTL) delete --ignore-not-found -f -
