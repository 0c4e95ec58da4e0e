{{/* The prefix of every object's name: "metal3-fkas" for a release of that name, as in config/. */}}
{{- define "metal3-fkas.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 40 | trimSuffix "-" -}}
{{- else -}}
{{- $name := default .Chart.Name .Values.nameOverride -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 40 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 40 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{- define "metal3-fkas.serviceAccountName" -}}
{{- default (printf "%s-controller-manager" (include "metal3-fkas.fullname" .)) .Values.serviceAccount.name -}}
{{- end -}}

{{/* Labels on every object. */}}
{{- define "metal3-fkas.labels" -}}
app.kubernetes.io/part-of: metal3-fkas
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/instance: {{ .Release.Name | quote }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
{{- end -}}

{{/*
The operator pods' labels: the Deployment selects them, and so do exposure: Service Services
(--service-selector). The release is part of them, so two releases in one namespace never select
each other's pods.
*/}}
{{- define "metal3-fkas.selectorLabels" -}}
app.kubernetes.io/name: metal3-fkas
app.kubernetes.io/component: controller-manager
app.kubernetes.io/instance: {{ .Release.Name | quote }}
{{- end -}}

{{/* selectorLabels as the operator's --service-selector takes them: key=value,... */}}
{{- define "metal3-fkas.serviceSelector" -}}
{{- $pairs := list -}}
{{- range $k, $v := include "metal3-fkas.selectorLabels" . | fromYaml -}}
{{- $pairs = append $pairs (printf "%s=%s" $k $v) -}}
{{- end -}}
{{- join "," $pairs -}}
{{- end -}}
