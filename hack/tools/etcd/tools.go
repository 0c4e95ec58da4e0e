//go:build tools

// Package tools pins the etcd server the test suites build (see ../build.sh).
package tools

import _ "go.etcd.io/etcd/server/v3"
