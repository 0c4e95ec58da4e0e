// Command kstatus prints what kstatus (sigs.k8s.io/cli-utils, the library Flux's health checks
// use) computes for each Kubernetes object on stdin: one JSON line per object with its name,
// status (InProgress, Failed, Current, Terminating, Unknown) and message.
//
// Usage: kubectl get fakeapiservers -o json | kstatus
package main

import (
	"encoding/json"
	"fmt"
	"os"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/cli-utils/pkg/kstatus/status"

	"metal3-fkas/hack/tools/health/internal/objects"
)

type verdict struct {
	Object  string `json:"object"`
	Status  string `json:"status"`
	Message string `json:"message"`
}

func main() {
	objs, err := objects.Read(os.Stdin)
	if err != nil {
		fmt.Fprintln(os.Stderr, "kstatus: reading objects from stdin:", err)
		os.Exit(2)
	}
	enc := json.NewEncoder(os.Stdout)
	for _, obj := range objs {
		res, err := status.Compute(&unstructured.Unstructured{Object: obj})
		if err != nil {
			fmt.Fprintf(os.Stderr, "kstatus: %s: %v\n", objects.Name(obj), err)
			os.Exit(1)
		}
		_ = enc.Encode(verdict{Object: objects.Name(obj), Status: res.Status.String(), Message: res.Message})
	}
}
