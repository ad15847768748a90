// The RocketMQ exporter's monitoring mixin: alerts and Grafana dashboards
// for the metrics in docs/metrics.md. Use it as any mixin:
//
//   local rocketmq = (import 'mixin.libsonnet') + { _config+:: { rocketmqExporterSelector: 'job="mq"' } };
//   rocketmq.prometheusAlerts   // a Prometheus rule file
//   rocketmq.grafanaDashboards  // file name -> dashboard
//
// The rendered files are checked in: alerts/rocketmq-alerts.yaml,
// dashboards/*.json and deploy/prometheusrule.yaml (go generate ./mixin).
// The alerts' texts name RocketMQ's cluster as $labels.cluster; a mixin
// rendered with another _config.clusterLabel reads that label instead.
local clusterIn(text, c) = std.strReplace(text, '$labels.cluster }}', '$labels.%s }}' % c.clusterLabel);

local withRunbookAndFor(rule, c) =
  if !std.objectHas(rule, 'alert') then rule else rule {
    annotations: {
      [k]: clusterIn(rule.annotations[k], c)
      for k in std.objectFields(rule.annotations)
    } + {
      [if !std.objectHas(rule.annotations, 'runbook_url') then 'runbook_url']: c.runbookURLPattern % std.asciiLower(rule.alert),
    },
    [if std.objectHas(c.forOverrides, rule.alert) then 'for']: c.forOverrides[rule.alert],
  };

(import 'config.libsonnet') +
(import 'alerts.libsonnet') +
(import 'dashboards/overview.libsonnet') +
(import 'dashboards/topics.libsonnet') +
(import 'dashboards/groups.libsonnet') +
(import 'dashboards/exporter.libsonnet') +
{
  prometheusAlerts+:: {
    groups: [
      g { rules: [withRunbookAndFor(r, $._config) for r in super.rules] }
      for g in super.groups
    ],
  },
}
