package main

import (
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// The objects a fake cluster holds: what upstream FKAS creates, built here
// with the same content.

const (
	corednsImage = "registry.k8s.io/coredns/coredns:v1.10.1"
	getNodesRole = "kubeadm:get-nodes"
	// The group kubeadm join tokens authenticate as.
	bootstrapTokenGroup = "system:bootstrappers:kubeadm:default-node-token"
)

// kubeadmInitObjects are what `kubeadm init` leaves in a new cluster and CAPI's
// control-plane controller reads: RBAC for joining nodes, the kubeadm and
// kubelet ConfigMaps, kube-proxy and CoreDNS.
func kubeadmInitObjects(k8sVersion string) []client.Object {
	system := func(name string, labels map[string]string) metav1.ObjectMeta {
		return metav1.ObjectMeta{Namespace: metav1.NamespaceSystem, Name: name, Labels: labels}
	}
	podTemplate := func(container, image string) corev1.PodTemplateSpec {
		return corev1.PodTemplateSpec{Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: container, Image: image}}}}
	}
	return []client.Object{
		&rbacv1.ClusterRole{
			ObjectMeta: metav1.ObjectMeta{Name: getNodesRole},
			Rules:      []rbacv1.PolicyRule{{Verbs: []string{"get"}, APIGroups: []string{"core"}, Resources: []string{"nodes"}}},
		},
		&rbacv1.ClusterRoleBinding{
			ObjectMeta: metav1.ObjectMeta{Name: getNodesRole},
			RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: getNodesRole},
			Subjects:   []rbacv1.Subject{{Kind: rbacv1.GroupKind, Name: bootstrapTokenGroup}},
		},
		&corev1.ConfigMap{ObjectMeta: system("kubeadm-config", nil), Data: map[string]string{"ClusterConfiguration": ""}},
		&corev1.ConfigMap{ObjectMeta: system("kubelet-config", nil), Data: map[string]string{"ClusterConfiguration": ""}},
		&appsv1.DaemonSet{
			ObjectMeta: system("kube-proxy", map[string]string{"component": "kube-proxy"}),
			Spec:       appsv1.DaemonSetSpec{Template: podTemplate("kube-proxy", "registry.k8s.io/kube-proxy:"+k8sVersion)},
		},
		&corev1.ConfigMap{ObjectMeta: system("coredns", nil), Data: map[string]string{"Corefile": "ANG"}},
		&appsv1.Deployment{
			ObjectMeta: system("coredns", nil),
			Spec:       appsv1.DeploymentSpec{Template: podTemplate("coredns", corednsImage)},
		},
	}
}

// nodeObject is a Ready node; a control-plane node carries kubeadm's taint.
func nodeObject(name, providerID string, labels map[string]string, controlPlane bool) *corev1.Node {
	now := metav1.Now()
	condition := func(t corev1.NodeConditionType, s corev1.ConditionStatus, reason, message string) corev1.NodeCondition {
		return corev1.NodeCondition{Type: t, Status: s, Reason: reason, Message: message, LastHeartbeatTime: now, LastTransitionTime: now}
	}
	node := &corev1.Node{
		ObjectMeta: metav1.ObjectMeta{Name: name, Labels: labels},
		Spec:       corev1.NodeSpec{ProviderID: providerID},
		Status: corev1.NodeStatus{Conditions: []corev1.NodeCondition{
			condition(corev1.NodeMemoryPressure, corev1.ConditionFalse, "KubeletHasSufficientMemory", "kubelet has sufficient memory available"),
			condition(corev1.NodeDiskPressure, corev1.ConditionFalse, "KubeletHasNoDiskPressure", "kubelet has no disk pressure"),
			condition(corev1.NodePIDPressure, corev1.ConditionFalse, "KubeletHasSufficientPID", "kubelet has sufficient PID available"),
			condition(corev1.NodeReady, corev1.ConditionTrue, "KubeletReady", "kubelet is posting ready status"),
		}},
	}
	if controlPlane {
		node.Spec.Taints = []corev1.Taint{{Key: nodeRoleControlPlane, Effect: corev1.TaintEffectNoSchedule}}
	}
	return node
}

// staticPod is a running, ready control-plane pod of the node, in kube-system.
func staticPod(component, nodeName string) *corev1.Pod {
	now := metav1.Now()
	var conditions []corev1.PodCondition
	for _, t := range []corev1.PodConditionType{corev1.PodReadyToStartContainers, corev1.PodInitialized, corev1.PodReady, corev1.ContainersReady, corev1.PodScheduled} {
		conditions = append(conditions, corev1.PodCondition{Type: t, Status: corev1.ConditionTrue, LastTransitionTime: now})
	}
	return &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{
			Namespace: metav1.NamespaceSystem,
			Name:      component + "-" + nodeName,
			Labels:    map[string]string{"component": component, "tier": "control-plane"},
		},
		Spec:   corev1.PodSpec{NodeName: nodeName},
		Status: corev1.PodStatus{Phase: corev1.PodRunning, Conditions: conditions},
	}
}
