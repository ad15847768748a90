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

{{/* The shards' headless Service, within a Service name's 63 characters. */}}
{{- define "rocketmq-exporter.headlessName" -}}
{{- printf "%s-shards" (include "rocketmq-exporter.fullname" . | trunc 56 | trimSuffix "-") }}
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

{{/*
The number of shards, checked. One: the Deployment, unsharded. More: a
StatefulSet whose pods take their share from their ordinal, so more
replicas or a --shard flag of the user's would serve a share twice or
contradict the chart's.
*/}}
{{- define "rocketmq-exporter.shards" -}}
{{- $n := int .Values.shards -}}
{{- if lt $n 1 -}}
{{- fail (printf "shards must be at least 1 (1: one unsharded exporter), got %d" $n) -}}
{{- end -}}
{{- if and (gt $n 1) (gt (int .Values.replicaCount) 1) -}}
{{- fail (printf "shards=%d with replicaCount=%d: each shard is one pod of the shards' StatefulSet, and a second copy of a shard would double its load on the brokers; leave replicaCount at 1" $n (int .Values.replicaCount)) -}}
{{- end -}}
{{- if gt $n 1 -}}
{{- range .Values.extraArgs -}}
{{- if hasPrefix "--shard." . -}}
{{- fail (printf "extraArgs %q with shards=%d: the chart gives each shard --shard.count and --shard.index-from-hostname itself; drop it from extraArgs" . $n) -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- $n -}}
{{- end }}

{{/*
The pod template of the Deployment and of the shards' StatefulSet, one
copy so that the two never drift apart.
*/}}
{{- define "rocketmq-exporter.podTemplate" -}}
metadata:
  {{- with .Values.podAnnotations }}
  annotations:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  labels:
    {{- include "rocketmq-exporter.selectorLabels" . | nindent 4 }}
    {{- with .Values.podLabels }}
    {{- toYaml . | nindent 4 }}
    {{- end }}
spec:
  serviceAccountName: {{ include "rocketmq-exporter.serviceAccountName" . }}
  automountServiceAccountToken: {{ .Values.serviceAccount.automountServiceAccountToken }}
  {{- with .Values.imagePullSecrets }}
  imagePullSecrets:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  {{- with .Values.priorityClassName }}
  priorityClassName: {{ . }}
  {{- end }}
  securityContext:
    {{- toYaml .Values.podSecurityContext | nindent 4 }}
  containers:
    - name: exporter
      image: {{ include "rocketmq-exporter.image" . | quote }}
      imagePullPolicy: {{ .Values.image.pullPolicy }}
      args:
        {{- include "rocketmq-exporter.namesrvArgs" . | trim | nindent 8 }}
        {{- if or .Values.webConfig.existingSecret .Values.webConfig.existingConfigMap }}
        - {{ printf "--web.config.file=/etc/rocketmq-exporter/web/%s" .Values.webConfig.key | quote }}
        {{- end }}
        {{- if .Values.leak.stateFile }}
        - "--leak.state-file=/var/lib/rocketmq-exporter/leak-state.json"
        {{- end }}
        {{- with .Values.leak.historyURL }}
        - {{ printf "--leak.history-url=%s" . | quote }}
        {{- end }}
        {{- range .Values.extraArgs }}
        - {{ . | quote }}
        {{- end }}
        {{- $shards := include "rocketmq-exporter.shards" . | int }}
        {{- if gt $shards 1 }}
        - {{ printf "--shard.count=%d" $shards | quote }}
        - "--shard.index-from-hostname"
        {{- end }}
      env:
        {{- with include "rocketmq-exporter.gomemlimit" . }}
        - name: GOMEMLIMIT
          value: {{ . | quote }}
        {{- end }}
        {{- with .Values.acl.existingSecret }}
        - name: ROCKETMQ_EXPORTER_ROCKETMQ_ACCESS_KEY
          valueFrom:
            secretKeyRef:
              name: {{ . }}
              key: {{ $.Values.acl.accessKeyKey }}
        - name: ROCKETMQ_EXPORTER_ROCKETMQ_SECRET_KEY
          valueFrom:
            secretKeyRef:
              name: {{ . }}
              key: {{ $.Values.acl.secretKeyKey }}
        {{- end }}
        {{- with .Values.extraEnv }}
        {{- toYaml . | nindent 8 }}
        {{- end }}
      ports:
        - name: metrics
          containerPort: 5557
          protocol: TCP
      readinessProbe:
        {{- include "rocketmq-exporter.probe" (dict "probe" .Values.readinessProbe "root" .) | nindent 8 }}
      livenessProbe:
        {{- include "rocketmq-exporter.probe" (dict "probe" .Values.livenessProbe "root" .) | nindent 8 }}
      resources:
        {{- toYaml .Values.resources | nindent 8 }}
      securityContext:
        {{- toYaml .Values.securityContext | nindent 8 }}
      {{- $web := or .Values.webConfig.existingSecret .Values.webConfig.existingConfigMap }}
      {{- if or $web .Values.leak.stateFile .Values.extraVolumeMounts }}
      volumeMounts:
        {{- if $web }}
        - name: web-config
          mountPath: /etc/rocketmq-exporter/web
          readOnly: true
        {{- end }}
        {{- if .Values.leak.stateFile }}
        - name: leak-state
          mountPath: /var/lib/rocketmq-exporter
        {{- end }}
        {{- with .Values.extraVolumeMounts }}
        {{- toYaml . | nindent 8 }}
        {{- end }}
      {{- end }}
  {{- if or $web .Values.leak.stateFile .Values.extraVolumes }}
  volumes:
    {{- if .Values.webConfig.existingSecret }}
    - name: web-config
      secret:
        secretName: {{ .Values.webConfig.existingSecret }}
    {{- else if .Values.webConfig.existingConfigMap }}
    - name: web-config
      configMap:
        name: {{ .Values.webConfig.existingConfigMap }}
    {{- end }}
    {{- if .Values.leak.stateFile }}
    - name: leak-state
      emptyDir:
        sizeLimit: 64Mi
    {{- end }}
    {{- with .Values.extraVolumes }}
    {{- toYaml . | nindent 4 }}
    {{- end }}
  {{- end }}
  {{- with .Values.nodeSelector }}
  nodeSelector:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  {{- with .Values.affinity }}
  affinity:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  {{- with .Values.tolerations }}
  tolerations:
    {{- toYaml . | nindent 4 }}
  {{- end }}
{{- end }}
