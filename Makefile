# metal3-fkas developer entry points. `make help` lists them.
SHELL := /bin/bash
# A failing command anywhere in a pipeline fails the target (kubectl kustomize | kubectl apply).
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := help

# The image: quay.io/metal3-io/metal3-fkas:<arch>, as the original FKAS tagged it (amd64, arm64).
# (sed rather than a shell `case`: make would end $(shell ...) at the first `)` of a case pattern.)
ARCH ?= $(shell uname -m | sed -e 's/^x86_64$$/amd64/' -e 's/^aarch64$$/arm64/')
# The image config/manager renders; `make deploy` replaces it with $(IMG).
DEFAULT_IMG_REPO := quay.io/metal3-io/metal3-fkas
IMG_REPO ?= $(DEFAULT_IMG_REPO)
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
	@echo "Variables: IMG=$(IMG) (IMG_REPO, ARCH) CONTAINER_TOOL=$(CONTAINER_TOOL) DEPLOY_CONFIG=$(DEPLOY_CONFIG) KUBECTL=$(KUBECTL)"

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

.PHONY: install
install: ## Install the CRDs (config/crd) into the current kubectl context
	$(KUBECTL) kustomize config/crd | $(KUBECTL) apply --server-side -f -

.PHONY: uninstall
uninstall: ## Remove the CRDs (every FakeAPIServer and FakeNode goes with them)
	$(KUBECTL) kustomize config/crd | $(KUBECTL) delete --ignore-not-found -f -

# deploy renders everything first and checks the image before applying anything, so a bad IMG
# fails before the Namespace, CRDs and RBAC are in, not half-way.
.PHONY: deploy
deploy: ## Install into the current kubectl context ($(DEPLOY_CONFIG) with image $(IMG))
	@[[ "$(IMG)" =~ ^[a-z0-9][a-zA-Z0-9._/:@-]*$$ ]] || { echo "IMG '$(IMG)' is not an image reference like example.com/repo:tag" >&2; exit 2; }
	rendered=$$(mktemp) && trap 'rm -f "$$rendered"' EXIT && \
	$(KUBECTL) kustomize $(DEPLOY_CONFIG) | sed -E 's#^( +image: )$(DEFAULT_IMG_REPO):[^ ]+$$#\1$(IMG)#' > "$$rendered" && \
	{ sed -n 's/^ *image: //p' "$$rendered" | grep -xF '$(IMG)' >/dev/null || { echo "$(DEPLOY_CONFIG) renders no image $(DEFAULT_IMG_REPO):<tag> to replace with $(IMG)" >&2; exit 1; }; } && \
	$(KUBECTL) apply --server-side -f "$$rendered"

.PHONY: undeploy
undeploy: ## Remove what deploy installed (CRDs too: every FakeAPIServer and FakeNode goes)
	$(KUBECTL) kustomize $(DEPLOY_CONFIG) | $(KUBECTL) delete --ignore-not-found -f -
