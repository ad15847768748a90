{{/* The chart name, overridable. */}}
{{- define "rocketmq-exporter.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
The fully qualified name: the release name alone when it already contains
the chart name, so "helm install rocketmq-exporter ." gives one name, not two.
*/}}
{{- define "rocketmq-exporter.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{- define "rocketmq-exporter.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Labels on every object. */}}
{{- define "rocketmq-exporter.labels" -}}
helm.sh/chart: {{ include "rocketmq-exporter.chart" . }}
{{ include "rocketmq-exporter.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}

{{/* Labels the Deployment and Service select by: they must never change. */}}
{{- define "rocketmq-exporter.selectorLabels" -}}
app.kubernetes.io/name: {{ include "rocketmq-exporter.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "rocketmq-exporter.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "rocketmq-exporter.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{/* The image, tagged with the chart's appVersion unless image.tag is set. */}}
{{- define "rocketmq-exporter.image" -}}
{{- $tag := .Values.image.tag | default .Chart.AppVersion -}}
{{- if .Values.image.digest -}}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest -}}
{{- else -}}
{{- printf "%s:%s" .Values.image.repository $tag -}}
{{- end -}}
{{- end }}

{{/*
One --rocketmq.namesrv-addr value per target: "name=a;b" or "a;b". A target
is either a string (the addresses as the flag takes them) or a map with
addresses (a list or a string) and an optional name.
*/}}
{{- define "rocketmq-exporter.namesrvArgs" -}}
{{- if not .Values.targets }}
{{- fail "targets: give at least one name server address" }}
{{- end }}
{{- range .Values.targets }}
{{- if kindIs "string" . }}
- {{ printf "--rocketmq.namesrv-addr=%s" . | quote }}
{{- else }}
{{- $addrs := .addresses }}
{{- if kindIs "slice" $addrs }}{{ $addrs = join ";" $addrs }}{{ end }}
{{- if not $addrs }}{{ fail "targets: every target needs addresses" }}{{ end }}
{{- if .name }}
- {{ printf "--rocketmq.namesrv-addr=%s=%s" .name $addrs | quote }}
{{- else }}
- {{ printf "--rocketmq.namesrv-addr=%s" $addrs | quote }}
{{- end }}
{{- end }}
{{- end }}
{{- end }}

{{/*
GOMEMLIMIT in MiB: gomemlimit.ratio of resources.limits.memory, so the Go
runtime collects harder before the kernel kills the pod. Empty when no
limit is set or gomemlimit.value overrides it.
*/}}
{{- define "rocketmq-exporter.gomemlimit" -}}
{{- if .Values.gomemlimit.value -}}
{{- .Values.gomemlimit.value -}}
{{- else if and .Values.gomemlimit.ratio .Values.resources.limits .Values.resources.limits.memory -}}
{{- $q := toString .Values.resources.limits.memory -}}
{{- $units := dict "Ki" 1024 "Mi" 1048576 "Gi" 1073741824 "Ti" 1099511627776 "k" 1000 "K" 1000 "M" 1000000 "G" 1000000000 "T" 1000000000000 -}}
{{- $num := regexFind "^[0-9]+(\\.[0-9]+)?" $q -}}
{{- $suffix := trimPrefix $num $q -}}
{{- if or (not $num) (and $suffix (not (hasKey $units $suffix))) -}}
{{- fail (printf "resources.limits.memory %q: not a quantity GOMEMLIMIT can be derived from; set gomemlimit.value" $q) -}}
{{- end -}}
{{- $bytes := mulf (float64 $num) (float64 (get $units $suffix | default 1)) -}}
{{- printf "%dMiB" (int64 (floor (divf (mulf $bytes (float64 .Values.gomemlimit.ratio)) 1048576))) -}}
{{- end -}}
{{- end }}

{{/* The probe and scrape scheme: HTTPS when the web config turns on TLS. */}}
{{- define "rocketmq-exporter.scheme" -}}
{{- if .Values.webConfig.tls }}HTTPS{{ else }}HTTP{{ end -}}
{{- end }}

{{/*
A probe with its httpGet scheme following webConfig.tls. With
webConfig.basicAuth every path asks for credentials, /healthz and /readyz
included (exporter-toolkit exempts none), and a kubelet probe carries none:
an httpGet probe becomes a TCP check of its port.
*/}}
{{- define "rocketmq-exporter.probe" -}}
{{- $p := deepCopy .probe -}}
{{- if and $p.httpGet .root.Values.webConfig.basicAuth -}}
{{- $port := $p.httpGet.port -}}
{{- $_ := unset $p "httpGet" -}}
{{- $_ := set $p "tcpSocket" (dict "port" $port) -}}
{{- else if $p.httpGet -}}
{{- $_ := set $p.httpGet "scheme" (include "rocketmq-exporter.scheme" .root) -}}
{{- end -}}
{{- toYaml $p -}}
{{- end }}
