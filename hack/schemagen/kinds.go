package main

import (
	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	appsv1 "k8s.io/api/apps/v1"
	authenticationv1 "k8s.io/api/authentication/v1"
	authorizationv1 "k8s.io/api/authorization/v1"
	autoscalingv1 "k8s.io/api/autoscaling/v1"
	batchv1 "k8s.io/api/batch/v1"
	certificatesv1 "k8s.io/api/certificates/v1"
	coordinationv1 "k8s.io/api/coordination/v1"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	eventsv1 "k8s.io/api/events/v1"
	networkingv1 "k8s.io/api/networking/v1"
	nodev1 "k8s.io/api/node/v1"
	policyv1 "k8s.io/api/policy/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	schedulingv1 "k8s.io/api/scheduling/v1"
	storagev1 "k8s.io/api/storage/v1"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// root lists the kinds of one group version that get a schema entry; each
// kind's List is added too when the scheme has one.
type root struct {
	GroupVersion schema.GroupVersion
	Kinds        []string
}

// roots are the built-in kinds a Cluster API controller (through
// controller-runtime and client-go) may send to the simulator as protobuf.
var roots = []root{
	{corev1.SchemeGroupVersion, []string{
		"Binding", "ConfigMap", "Endpoints", "Event", "LimitRange", "Namespace", "Node",
		"PersistentVolume", "PersistentVolumeClaim", "Pod", "PodTemplate", "ReplicationController",
		"ResourceQuota", "Secret", "Service", "ServiceAccount",
	}},
	{admissionregistrationv1.SchemeGroupVersion, []string{"MutatingWebhookConfiguration", "ValidatingWebhookConfiguration"}},
	{apiextensionsv1.SchemeGroupVersion, []string{"CustomResourceDefinition"}},
	{appsv1.SchemeGroupVersion, []string{"ControllerRevision", "DaemonSet", "Deployment", "ReplicaSet", "StatefulSet"}},
	{authenticationv1.SchemeGroupVersion, []string{"SelfSubjectReview", "TokenReview"}},
	{authorizationv1.SchemeGroupVersion, []string{
		"LocalSubjectAccessReview", "SelfSubjectAccessReview", "SelfSubjectRulesReview", "SubjectAccessReview",
	}},
	{autoscalingv1.SchemeGroupVersion, []string{"Scale"}},
	{batchv1.SchemeGroupVersion, []string{"CronJob", "Job"}},
	{certificatesv1.SchemeGroupVersion, []string{"CertificateSigningRequest"}},
	{coordinationv1.SchemeGroupVersion, []string{"Lease"}},
	{discoveryv1.SchemeGroupVersion, []string{"EndpointSlice"}},
	{eventsv1.SchemeGroupVersion, []string{"Event"}},
	{networkingv1.SchemeGroupVersion, []string{"Ingress", "NetworkPolicy"}},
	{nodev1.SchemeGroupVersion, []string{"RuntimeClass"}},
	{policyv1.SchemeGroupVersion, []string{"Eviction", "PodDisruptionBudget"}},
	{rbacv1.SchemeGroupVersion, []string{"ClusterRole", "ClusterRoleBinding", "Role", "RoleBinding"}},
	{schedulingv1.SchemeGroupVersion, []string{"PriorityClass"}},
	{storagev1.SchemeGroupVersion, []string{"CSIDriver", "CSINode", "StorageClass", "VolumeAttachment"}},
}

var schemeBuilders = []func(*runtime.Scheme) error{
	corev1.AddToScheme, admissionregistrationv1.AddToScheme, apiextensionsv1.AddToScheme,
	appsv1.AddToScheme, authenticationv1.AddToScheme, authorizationv1.AddToScheme,
	autoscalingv1.AddToScheme, batchv1.AddToScheme, certificatesv1.AddToScheme,
	coordinationv1.AddToScheme, discoveryv1.AddToScheme, eventsv1.AddToScheme,
	policyv1.AddToScheme, rbacv1.AddToScheme, schedulingv1.AddToScheme, storagev1.AddToScheme,
	networkingv1.AddToScheme, nodev1.AddToScheme,
}

var deleteOptionsType = metav1.DeleteOptions{}

// special describes a type whose protobuf message differs from its Go
// fields or whose JSON form is not an object of its fields. format names
// the JSON form (documented in src/simulator/schema/README.md). Either the
// fields are declared here (the Go type has no usable tags) or walk says to
// reflect them as usual.
type special struct {
	format string
	fields []Field
	walk   bool
}

var timestampFields = []Field{
	{Name: "seconds", Number: 1, Type: "int64"},
	{Name: "nanos", Number: 2, Type: "int32"},
}

var rawField = []Field{{Name: "raw", Number: 1, Type: "bytes"}}

var specials = map[string]special{
	// Encoded as a google.protobuf.Timestamp-like message by hand-written code.
	"k8s.io/apimachinery/pkg/apis/meta/v1.Time":      {format: "time", fields: timestampFields},
	"k8s.io/apimachinery/pkg/apis/meta/v1.MicroTime": {format: "micro-time", fields: timestampFields},
	"k8s.io/apimachinery/pkg/apis/meta/v1.Duration":  {format: "duration", walk: true},
	"k8s.io/apimachinery/pkg/apis/meta/v1.FieldsV1":  {format: "raw-json", fields: rawField},
	// Quantity marshals itself as a message with its canonical string in field 1.
	"k8s.io/apimachinery/pkg/api/resource.Quantity":                                         {format: "quantity", fields: []Field{{Name: "string", Number: 1, Type: "string"}}},
	"k8s.io/apimachinery/pkg/util/intstr.IntOrString":                                       {format: "int-or-string", walk: true},
	"k8s.io/apimachinery/pkg/runtime.RawExtension":                                          {format: "raw-json", fields: rawField},
	"k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1.JSON":                         {format: "raw-json", fields: rawField},
	"k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1.JSONSchemaPropsOrArray":       {format: "schema-or-array", walk: true},
	"k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1.JSONSchemaPropsOrBool":        {format: "schema-or-bool", walk: true},
	"k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1.JSONSchemaPropsOrStringArray": {format: "schema-or-string-array", walk: true},
}
