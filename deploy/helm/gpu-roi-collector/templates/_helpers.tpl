{{- define "gpu-roi-collector.name" -}}
{{- default .Chart.Name .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "gpu-roi-collector.labels" -}}
app.kubernetes.io/name: gpu-roi-collector
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/part-of: gpu-roi
helm.sh/chart: {{ .Chart.Name }}-{{ .Chart.Version }}
{{- end -}}

{{- define "gpu-roi-collector.tokenSecret" -}}
{{- default (printf "%s-node-tokens" (include "gpu-roi-collector.name" .)) .Values.nodeTokens.existingSecret -}}
{{- end -}}
