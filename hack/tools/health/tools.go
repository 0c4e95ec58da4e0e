//go:build tools

// Package tools pins what the health-check programs are built from (see ../build.sh):
// kstatus from sigs.k8s.io/cli-utils (Flux's health library) and the Lua interpreter
// Argo CD embeds, github.com/yuin/gopher-lua.
package tools

import (
	_ "github.com/yuin/gopher-lua"
	_ "sigs.k8s.io/cli-utils/pkg/kstatus/status"
)
