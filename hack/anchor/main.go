// Command fkas-anchor is the benchmark anchor for metal3-fkas: the serving
// path of upstream FKAS (Metal3's fake API server), which is Cluster API's
// in-memory server (sigs.k8s.io/cluster-api/test/infrastructure/inmemory),
// driven through the same two legacy calls upstream FKAS offers:
//
//	POST /register    {"cluster","namespace"}: a resource group, a workload
//	                  cluster listener on its own port, the cluster's CAs.
//	PUT  /updateNode  {"cluster","namespace","nodeName","providerID","labels",...}:
//	                  for a control-plane node an API server and an etcd member
//	                  behind the listener, the cluster-wide objects kubeadm
//	                  leaves behind, then the Node object and its static pods.
//
// Upstream FKAS reads the CAs from the Secrets CAPI writes in the management
// cluster; the anchor has no management cluster, so it makes them itself at
// /register and returns them in the answer (the load generator signs its
// client certificate with them). Everything else it delegates to the
// in-memory server packages, unchanged. bench/anchor.bench.ts drives it.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"go.uber.org/zap/zapcore"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"
)

// Set by hack/anchor/build.sh: the versions this binary was built from.
var version = "dev"

const (
	// Upstream FKAS's timeouts for its legacy API server.
	apiReadWriteTimeout = 60 * time.Second
	apiIdleTimeout      = 120 * time.Second
	shutdownTimeout     = 5 * time.Second
)

type options struct {
	listen         string
	host           string
	minPort        int
	maxPort        int
	debugPort      int
	logLevel       string
	debugEndpoints bool
	printVersion   bool
}

func parseFlags() options {
	var o options
	flag.StringVar(&o.listen, "listen", "127.0.0.1:3333", "address of the legacy API (/register, /updateNode)")
	flag.StringVar(&o.host, "host", "127.0.0.1", "host written into /register answers and the API servers' certificates (upstream: $POD_IP)")
	flag.IntVar(&o.minPort, "min-port", 20000, "first port for workload cluster listeners")
	flag.IntVar(&o.maxPort, "max-port", 30000, "last port for workload cluster listeners")
	flag.IntVar(&o.debugPort, "debug-port", 0, "port of the in-memory server's debug endpoint (0: any free port)")
	flag.StringVar(&o.logLevel, "log-level", "error", "debug, info, warn or error (upstream logs at info)")
	flag.BoolVar(&o.debugEndpoints, "debug-endpoints", os.Getenv("FKAS_ANCHOR_DEBUG_ENDPOINTS") == "true",
		"serve POST /debug/gc (a forced GC that returns memory to the OS), for benchmarks; also FKAS_ANCHOR_DEBUG_ENDPOINTS=true")
	flag.BoolVar(&o.printVersion, "version", false, "print the version and exit")
	flag.Parse()
	return o
}

func main() {
	o := parseFlags()
	if o.printVersion {
		fmt.Println(version)
		return
	}
	if err := run(o); err != nil {
		fmt.Fprintf(os.Stderr, "fkas-anchor: %v\n", err)
		os.Exit(1)
	}
}

func run(o options) error {
	level, err := zapcore.ParseLevel(o.logLevel)
	if err != nil {
		return fmt.Errorf("-log-level %q: use debug, info, warn or error", o.logLevel)
	}
	ctrl.SetLogger(zap.New(zap.Level(level)))

	clusters, err := newClusters(o.host, o.minPort, o.maxPort, o.debugPort)
	if err != nil {
		return err
	}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /register", clusters.register)
	mux.HandleFunc("PUT /updateNode", clusters.updateNode)
	if o.debugEndpoints {
		mux.HandleFunc("POST /debug/gc", forcedGC)
	}
	l, err := net.Listen("tcp", o.listen)
	if err != nil {
		return fmt.Errorf("listen on %s (pick another with -listen): %w", o.listen, err)
	}
	srv := &http.Server{Handler: mux, ReadTimeout: apiReadWriteTimeout, WriteTimeout: apiReadWriteTimeout, IdleTimeout: apiIdleTimeout}
	// The benchmark waits for this line: the legacy API is accepting connections.
	fmt.Printf("fkas-anchor %s listening on %s\n", version, l.Addr())

	stop := make(chan os.Signal, 1)
	signal.Notify(stop, syscall.SIGTERM, syscall.SIGINT)
	served := make(chan error, 1)
	go func() { served <- srv.Serve(l) }()
	select {
	case err := <-served:
		return err
	case <-stop:
	}
	ctx, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(ctx); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return clusters.shutdown(ctx)
}
