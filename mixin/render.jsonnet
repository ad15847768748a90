// Every rendered file of the mixin, by path from the repository root.
// `override` (ext code) is merged into the mixin, e.g. a _config change.
local mixin = (import 'mixin.libsonnet') + std.extVar('override');
local header = '# Generated from mixin/ by `go generate ./mixin`; do not edit.\n';
local yaml(v) = header + std.manifestYamlDoc(v, indent_array_in_object=false, quote_keys=false) + '\n';

{
  'alerts/rocketmq-alerts.yaml': yaml(mixin.prometheusAlerts),
  'deploy/prometheusrule.yaml': yaml({
    apiVersion: 'monitoring.coreos.com/v1',
    kind: 'PrometheusRule',
    metadata: {
      name: 'rocketmq-exporter',
      labels: {
        'app.kubernetes.io/name': 'rocketmq-exporter',
        'app.kubernetes.io/component': 'alerting-rules',
      },
    },
    spec: mixin.prometheusAlerts,
  }),
} + {
  ['dashboards/' + name]: std.manifestJsonEx(mixin.grafanaDashboards[name], '  ') + '\n'
  for name in std.objectFields(mixin.grafanaDashboards)
}
