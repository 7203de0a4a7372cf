{{- define "invitation-operator.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "invitation-operator.labels" -}}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- end -}}

{{- define "invitation-operator.selectorLabels" -}}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
control-plane: controller-manager
{{- end -}}

{{- /* The Deployment carries the same name as the kustomize install's (config/default), so the docs' commands
(`kubectl -n invitation-system logs deploy/invitation-operator-controller-manager`) hold for both ways of
installing when the release is called invitation-operator. */ -}}
{{- define "invitation-operator.deploymentName" -}}
{{- printf "%s-controller-manager" (include "invitation-operator.fullname" .) | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- /* Where the extra CA certificates are mounted; SSL_CERT_DIR names it beside the image's own bundle. */ -}}
{{- define "invitation-operator.extraCADir" -}}
/etc/invitation-operator/ca-certificates
{{- end -}}

{{- define "invitation-operator.hasExtraCA" -}}
{{- with .Values.extraCACertificates -}}{{- if or .pem .configMap .secret -}}true{{- end -}}{{- end -}}
{{- end -}}
