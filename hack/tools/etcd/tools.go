//go:build tools

// Package tools pins the etcd server and etcdctl the test suites build (see ../build.sh),
// both at ETCD_VERSION from ../versions.env.
package tools

import (
	_ "go.etcd.io/etcd/etcdctl/v3"
	_ "go.etcd.io/etcd/server/v3"
)
