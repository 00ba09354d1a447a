{{/* Names, labels and the environment every container shares. */}}

{{- define "tickertape.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "tickertape.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end -}}

{{/* Selector labels of one service; call with (dict "root" $ "service" "prices"). */}}
{{- define "tickertape.selectorLabels" -}}
app.kubernetes.io/name: {{ .root.Chart.Name }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .service }}
{{- end -}}

{{- define "tickertape.image" -}}
{{ .Values.image.repository }}:{{ .Values.image.tag | default .Chart.AppVersion }}
{{- end -}}

{{/* TICKERTAPE_KAFKA_PROPERTIES: the properties map as key=value,… (sorted). */}}
{{- define "tickertape.kafkaProperties" -}}
{{- $pairs := list -}}
{{- range $key, $value := .Values.kafka.properties -}}
{{- $pairs = append $pairs (printf "%s=%v" $key $value) -}}
{{- end -}}
{{- if and .Values.kafka.caSecret (not (hasKey .Values.kafka.properties "ssl.ca.location")) -}}
{{- $pairs = append $pairs "ssl.ca.location=/etc/tickertape/kafka-ca/ca.crt" -}}
{{- end -}}
{{- join "," $pairs -}}
{{- end -}}

{{/* The brokers' CA (kafka.caSecret), mounted where ssl.ca.location points. */}}
{{- define "tickertape.kafkaVolumeMounts" -}}
{{- if .Values.kafka.caSecret }}
volumeMounts:
  - name: kafka-ca
    mountPath: /etc/tickertape/kafka-ca
    readOnly: true
{{- end }}
{{- end -}}

{{- define "tickertape.kafkaVolumes" -}}
{{- if .Values.kafka.caSecret }}
volumes:
  - name: kafka-ca
    secret:
      secretName: {{ .Values.kafka.caSecret }}
      items:
        - key: ca.crt
          path: ca.crt
{{- end }}
{{- end -}}

{{/* Environment shared by the services and the topics job. */}}
{{- define "tickertape.kafkaEnv" -}}
{{- range .Values.kafka.secretEnv }}
- name: {{ .name }}
  valueFrom:
    secretKeyRef:
      name: {{ .secretName }}
      key: {{ .key }}
{{- end }}
- name: TICKERTAPE_BROKERS
  value: {{ .Values.kafka.brokers | quote }}
{{- with include "tickertape.kafkaProperties" . }}
- name: TICKERTAPE_KAFKA_PROPERTIES
  value: {{ . | quote }}
{{- end }}
- name: TICKERTAPE_LOG_FORMAT
  value: {{ .Values.logFormat | quote }}
- name: TICKERTAPE_ARTICLES_RAW_TOPIC
  value: {{ .Values.topics.articlesRaw | quote }}
- name: TICKERTAPE_ARTICLES_PARSED_TOPIC
  value: {{ .Values.topics.articlesParsed | quote }}
- name: TICKERTAPE_ARTICLES_ENRICHED_TOPIC
  value: {{ .Values.topics.articlesEnriched | quote }}
- name: TICKERTAPE_ARTICLES_DUPLICATES_TOPIC
  value: {{ .Values.topics.articlesDuplicates | quote }}
- name: TICKERTAPE_ARTICLES_DLQ_TOPIC
  value: {{ .Values.topics.articlesDlq | quote }}
- name: TICKERTAPE_TICKS_TOPIC
  value: {{ .Values.topics.ticksRaw | quote }}
- name: TICKERTAPE_CHANGES_TOPIC
  value: {{ .Values.topics.pricesChanges | quote }}
- name: TICKERTAPE_ALERTS_TOPIC
  value: {{ .Values.topics.pricesAlerts | quote }}
- name: TICKERTAPE_TICKS_DLQ_TOPIC
  value: {{ .Values.topics.ticksDlq | quote }}
- name: TICKERTAPE_REACTIONS_MENTIONS_TOPIC
  value: {{ .Values.topics.reactionsMentions | quote }}
- name: TICKERTAPE_REACTIONS_TOPIC
  value: {{ .Values.topics.marketReactions | quote }}
- name: TICKERTAPE_REACTIONS_DLQ_TOPIC
  value: {{ .Values.topics.reactionsDlq | quote }}
{{- end -}}
