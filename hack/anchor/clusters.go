package main

import (
	"context"
	"crypto/rsa"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"strconv"
	"sync"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	coordinationv1 "k8s.io/api/coordination/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/sets"
	"sigs.k8s.io/cluster-api/util/certs"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	cloudv1 "sigs.k8s.io/cluster-api/test/infrastructure/inmemory/pkg/cloud/api/v1alpha1"
	inmemoryruntime "sigs.k8s.io/cluster-api/test/infrastructure/inmemory/pkg/runtime"
	inmemoryserver "sigs.k8s.io/cluster-api/test/infrastructure/inmemory/pkg/server"
)

const (
	// The label CAPI puts on control-plane Machines; upstream FKAS reads the role from it.
	capiControlPlaneLabel = "cluster.x-k8s.io/control-plane"
	nodeRoleControlPlane  = "node-role.kubernetes.io/control-plane"
	metal3UUIDLabel       = "metal3.io/uuid"
	// A kubelet posts its status about this often; upstream FKAS refreshes the Ready heartbeat at this pace.
	heartbeatInterval = 10 * time.Second
	maxBodyBytes      = 64 << 10
)

// cluster is one registered workload cluster. mu serialises /updateNode calls
// for it: upstream FKAS keeps this state in maps without a lock.
type cluster struct {
	mu            sync.Mutex
	resourceGroup string
	port          int32
	ca            *certificateAuthority
	etcdCA        *certificateAuthority
	activated     bool
	etcdClusterID string
	etcdLeaderID  string
	etcdMembers   sets.Set[string]
}

type clusters struct {
	manager inmemoryruntime.Manager
	mux     *inmemoryserver.WorkloadClustersMux
	host    string
	// One RSA key for every CA the anchor makes (each cluster still gets its
	// own CA certificates): upstream FKAS makes no CA at all, CAPI does, so the
	// anchor's creation path should not pay for RSA key generation. The
	// in-memory server shares one key across its leaf certificates the same way.
	caKey *rsa.PrivateKey

	mu     sync.Mutex
	byName map[string]*cluster
}

func newClusters(host string, minPort, maxPort, debugPort int) (*clusters, error) {
	scheme := runtime.NewScheme()
	for _, add := range []func(*runtime.Scheme) error{corev1.AddToScheme, appsv1.AddToScheme, rbacv1.AddToScheme, coordinationv1.AddToScheme} {
		if err := add(scheme); err != nil {
			return nil, err
		}
	}
	manager := inmemoryruntime.NewManager(scheme)
	mux, err := inmemoryserver.NewWorkloadClustersMux(manager, host, inmemoryserver.CustomPorts{
		MinPort: int32(minPort), MaxPort: int32(maxPort), DebugPort: int32(debugPort), //nolint:gosec // flag values are ports
	})
	if err != nil {
		return nil, fmt.Errorf("start the in-memory server (is -debug-port %d free?): %w", debugPort, err)
	}
	caKey, err := certs.NewPrivateKey()
	if err != nil {
		return nil, err
	}
	return &clusters{manager: manager, mux: mux, host: host, caKey: caKey, byName: map[string]*cluster{}}, nil
}

func (c *clusters) shutdown(ctx context.Context) error { return c.mux.Shutdown(ctx) }

type registerRequest struct {
	Cluster   string `json:"cluster"`
	Namespace string `json:"namespace"`
}

// registerAnswer is upstream FKAS's answer plus the cluster's CA, which
// upstream clients would read from CAPI's <cluster>-ca Secret instead.
type registerAnswer struct {
	ResourceName  string
	Host          string
	Port          int
	CACertificate string
	CAKey         string
}

func (c *clusters) register(w http.ResponseWriter, r *http.Request) {
	var req registerRequest
	if !decode(w, r, &req) {
		return
	}
	if req.Cluster == "" || req.Namespace == "" {
		httpError(w, http.StatusBadRequest, "cluster and namespace are required")
		return
	}
	cl, err := c.ensureCluster(req.Namespace + "/" + req.Cluster)
	if err != nil {
		httpError(w, http.StatusInternalServerError, err.Error())
		return
	}
	writeJSON(w, registerAnswer{
		ResourceName: cl.resourceGroup, Host: c.host, Port: int(cl.port),
		CACertificate: string(cl.ca.certPEM), CAKey: string(cl.ca.keyPEM),
	})
}

// ensureCluster makes the resource group, reserves the listener (it starts
// with the first API server) and the cluster's two CAs; a second call for
// the same name returns the first one's cluster, as upstream's idempotent calls do.
func (c *clusters) ensureCluster(name string) (*cluster, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if cl, ok := c.byName[name]; ok {
		return cl, nil
	}
	c.manager.AddResourceGroup(name)
	// The listener is named after the resource group, as upstream names it.
	listener, err := c.mux.InitWorkloadClusterListener(name, 0)
	if err != nil {
		return nil, fmt.Errorf("reserve a listener for %s: %w", name, err)
	}
	if err := c.mux.RegisterResourceGroup(name, name); err != nil {
		return nil, fmt.Errorf("attach resource group %s to its listener: %w", name, err)
	}
	ca, err := newCertificateAuthority(c.caKey, "kubernetes")
	if err != nil {
		return nil, err
	}
	etcdCA, err := newCertificateAuthority(c.caKey, "etcd-ca")
	if err != nil {
		return nil, err
	}
	cl := &cluster{resourceGroup: name, port: listener.Port(), ca: ca, etcdCA: etcdCA, etcdMembers: sets.New[string]()}
	c.byName[name] = cl
	return cl, nil
}

func (c *clusters) lookup(name string) *cluster {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.byName[name]
}

type updateNodeRequest struct {
	Cluster    string            `json:"cluster"`
	Namespace  string            `json:"namespace"`
	NodeName   string            `json:"nodeName"`
	UUID       string            `json:"uuid"`
	ProviderID string            `json:"providerID"`
	Labels     map[string]string `json:"labels"`
	K8sVersion string            `json:"k8sversion"`
}

func (c *clusters) updateNode(w http.ResponseWriter, r *http.Request) {
	var req updateNodeRequest
	if !decode(w, r, &req) {
		return
	}
	if req.NodeName == "" {
		httpError(w, http.StatusBadRequest, "nodeName is required")
		return
	}
	cl := c.lookup(req.Namespace + "/" + req.Cluster)
	if cl == nil {
		httpError(w, http.StatusNotFound, "cluster "+req.Namespace+"/"+req.Cluster+" is not registered: POST /register first")
		return
	}
	labels := map[string]string{}
	for k, v := range req.Labels {
		labels[k] = v
	}
	labels[metal3UUIDLabel] = req.UUID
	_, controlPlane := labels[capiControlPlaneLabel]

	cl.mu.Lock()
	defer cl.mu.Unlock()
	ctx := r.Context()
	if controlPlane {
		labels[nodeRoleControlPlane] = ""
		if err := c.addControlPlaneMember(ctx, cl, req.NodeName, req.K8sVersion); err != nil {
			httpError(w, http.StatusInternalServerError, err.Error())
			return
		}
	}
	if !cl.activated {
		httpError(w, http.StatusConflict, "cluster "+cl.resourceGroup+" has no control-plane node yet: add one first")
		return
	}
	rg := c.manager.GetResourceGroup(cl.resourceGroup).GetClient()
	if err := rg.Create(ctx, nodeObject(req.NodeName, req.ProviderID, labels, controlPlane)); err != nil {
		if apierrors.IsAlreadyExists(err) {
			return
		}
		httpError(w, http.StatusInternalServerError, "create node "+req.NodeName+": "+err.Error())
		return
	}
	go heartbeat(rg, req.NodeName)
	if controlPlane {
		for _, component := range []string{"kube-apiserver", "kube-controller-manager", "kube-scheduler"} {
			if err := ensurePod(ctx, rg, staticPod(component, req.NodeName)); err != nil {
				httpError(w, http.StatusInternalServerError, err.Error())
				return
			}
		}
	}
}

// addControlPlaneMember puts an API server behind the cluster's listener
// (starting it), installs what kubeadm init leaves behind on the first one,
// and adds an etcd member before the Node exists, so a client that sees the
// node also finds a working etcd.
func (c *clusters) addControlPlaneMember(ctx context.Context, cl *cluster, nodeName, k8sVersion string) error {
	if err := c.mux.AddAPIServer(cl.resourceGroup, nodeName, cl.ca.cert, cl.ca.key); err != nil {
		return fmt.Errorf("add API server %s: %w", nodeName, err)
	}
	rg := c.manager.GetResourceGroup(cl.resourceGroup).GetClient()
	if !cl.activated {
		for _, obj := range kubeadmInitObjects(k8sVersion) {
			if err := rg.Create(ctx, obj); err != nil && !apierrors.IsAlreadyExists(err) {
				return fmt.Errorf("create %T %s: %w", obj, obj.GetName(), err)
			}
		}
		cl.activated = true
	}
	pod := staticPod("etcd", nodeName)
	if err := rg.Get(ctx, client.ObjectKeyFromObject(pod), pod); apierrors.IsNotFound(err) {
		pod.Annotations = cl.joinEtcd()
		if err := ensurePod(ctx, rg, pod); err != nil {
			return err
		}
	} else if err != nil {
		return fmt.Errorf("read etcd pod of %s: %w", nodeName, err)
	}
	if err := c.mux.AddEtcdMember(cl.resourceGroup, nodeName, cl.etcdCA.cert, cl.etcdCA.key); err != nil {
		return fmt.Errorf("add etcd member %s: %w", nodeName, err)
	}
	return nil
}

// joinEtcd gives a new etcd member its identity, as the annotations the
// in-memory etcd emulation reads: the cluster's ID, a fresh member ID, and
// leadership for the first member.
func (cl *cluster) joinEtcd() map[string]string {
	nonZeroID := func() string {
		for {
			if id := rand.Uint32(); id != 0 { //nolint:gosec // identifiers, not secrets
				return strconv.FormatUint(uint64(id), 10)
			}
		}
	}
	if cl.etcdClusterID == "" {
		cl.etcdClusterID = nonZeroID()
	}
	member := nonZeroID()
	for cl.etcdMembers.Has(member) {
		member = nonZeroID()
	}
	cl.etcdMembers.Insert(member)
	annotations := map[string]string{
		cloudv1.EtcdClusterIDAnnotationName: cl.etcdClusterID,
		cloudv1.EtcdMemberIDAnnotationName:  member,
	}
	if cl.etcdLeaderID == "" {
		cl.etcdLeaderID = member
		annotations[cloudv1.EtcdLeaderFromAnnotationName] = time.Now().Format(time.RFC3339)
	}
	return annotations
}

type objectClient interface {
	Get(ctx context.Context, key client.ObjectKey, obj client.Object) error
	Create(ctx context.Context, obj client.Object) error
	Update(ctx context.Context, obj client.Object) error
}

// ensurePod creates a pod, and kube-system before it when missing.
func ensurePod(ctx context.Context, rg objectClient, pod *corev1.Pod) error {
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: pod.Namespace}}
	if err := rg.Get(ctx, client.ObjectKeyFromObject(ns), ns); apierrors.IsNotFound(err) {
		if err := rg.Create(ctx, ns); err != nil && !apierrors.IsAlreadyExists(err) {
			return fmt.Errorf("create namespace %s: %w", pod.Namespace, err)
		}
	} else if err != nil {
		return fmt.Errorf("read namespace %s: %w", pod.Namespace, err)
	}
	if err := rg.Create(ctx, pod); err != nil && !apierrors.IsAlreadyExists(err) {
		return fmt.Errorf("create pod %s: %w", pod.Name, err)
	}
	return nil
}

// heartbeat refreshes the node's Ready heartbeat for the life of the process, like a kubelet.
func heartbeat(rg objectClient, nodeName string) {
	log := ctrl.Log.WithName("heartbeat").WithValues("node", nodeName)
	ticker := time.NewTicker(heartbeatInterval)
	defer ticker.Stop()
	for range ticker.C {
		ctx := context.Background()
		node := &corev1.Node{}
		if err := rg.Get(ctx, client.ObjectKey{Name: nodeName}, node); err != nil {
			log.Error(err, "read node for heartbeat")
			continue
		}
		now := metav1.Now()
		for i := range node.Status.Conditions {
			if node.Status.Conditions[i].Type == corev1.NodeReady {
				node.Status.Conditions[i].LastHeartbeatTime = now
			}
		}
		if err := rg.Update(ctx, node); err != nil {
			log.Error(err, "update node heartbeat")
		}
	}
}

func decode(w http.ResponseWriter, r *http.Request, into any) bool {
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxBodyBytes)).Decode(into); err != nil {
		httpError(w, http.StatusBadRequest, "the body is not a JSON object: "+err.Error())
		return false
	}
	return true
}

func httpError(w http.ResponseWriter, status int, msg string) {
	writeJSONStatus(w, status, map[string]string{"error": msg})
}

func writeJSON(w http.ResponseWriter, v any) { writeJSONStatus(w, http.StatusOK, v) }

func writeJSONStatus(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
