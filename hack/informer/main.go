// Command informer runs client-go's shared informer (reflector, DeltaFIFO,
// indexer: what CAPI's and controller-runtime's caches are built on) on the
// ConfigMaps of one namespace and prints the cache after every change, one
// JSON line: {"objects":{"name":{"uid":…,"resourceVersion":…}}}. Tests use it
// to see whether a client's cache converges to a server's truth after the
// server restarted. Reflector messages (410 Expired, relists) go to stderr.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"sort"
	"syscall"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/tools/clientcmd"
	"k8s.io/klog/v2"
)

// sourceHash is set by build.sh so it can tell a stale binary.
var sourceHash = "dev"

// Resync only re-delivers the cache; 0 keeps output to real changes.
const resyncPeriod = 0 * time.Second

type entry struct {
	UID             string `json:"uid"`
	ResourceVersion string `json:"resourceVersion"`
}

func main() {
	kubeconfig := flag.String("kubeconfig", "", "kubeconfig of the cluster to watch")
	namespace := flag.String("namespace", "default", "namespace whose ConfigMaps are cached")
	printHash := flag.Bool("source-hash", false, "print the hash of the sources this binary was built from")
	klog.InitFlags(nil)
	flag.Parse()
	if *printHash {
		fmt.Println(sourceHash)
		return
	}
	config, err := clientcmd.BuildConfigFromFlags("", *kubeconfig)
	if err != nil {
		fail("loading --kubeconfig: %v", err)
	}
	client, err := kubernetes.NewForConfig(config)
	if err != nil {
		fail("building the client: %v", err)
	}
	factory := informers.NewSharedInformerFactoryWithOptions(client, resyncPeriod, informers.WithNamespace(*namespace))
	informer := factory.Core().V1().ConfigMaps().Informer()
	store := informer.GetStore()
	printCache := func() {
		objects := map[string]entry{}
		for _, o := range store.List() {
			cm := o.(*corev1.ConfigMap)
			objects[cm.Name] = entry{UID: string(cm.UID), ResourceVersion: cm.ResourceVersion}
		}
		names := make([]string, 0, len(objects))
		for n := range objects {
			names = append(names, n)
		}
		sort.Strings(names)
		line, _ := json.Marshal(map[string]any{"objects": objects, "names": names, "synced": informer.HasSynced()})
		fmt.Println(string(line))
	}
	_, err = informer.AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    func(any) { printCache() },
		UpdateFunc: func(any, any) { printCache() },
		DeleteFunc: func(any) { printCache() },
	})
	if err != nil {
		fail("adding the event handler: %v", err)
	}
	stop := make(chan struct{})
	go func() {
		signals := make(chan os.Signal, 1)
		signal.Notify(signals, syscall.SIGTERM, syscall.SIGINT)
		<-signals
		close(stop)
	}()
	factory.Start(stop)
	if !cache.WaitForCacheSync(stop, informer.HasSynced) {
		fail("cache never synced")
	}
	printCache()
	<-stop
}

func fail(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "informer: "+format+"\n", args...)
	os.Exit(1)
}
