// Plain helpers that build Grafana dashboard JSON (schema 39), so the mixin
// needs no grafonnet. Every panel and query uses the ${datasource} variable;
// every panel gets a description and a unit.
{
  ds:: { type: 'prometheus', uid: '${datasource}' },

  // A range query, or an instant one (for tables and stats).
  target(expr, legend='', instant=false):: {
    datasource: $.ds,
    expr: expr,
    legendFormat: legend,
    range: !instant,
    instant: instant,
    [if instant then 'format']: 'table',
  },

  local withRefIds(targets) = [
    targets[i] { refId: std.char(std.codepoint('A') + i) }
    for i in std.range(0, std.length(targets) - 1)
  ],

  panel(type, title, description, unit, targets, w, h):: {
    type: type,
    title: title,
    description: description,
    datasource: $.ds,
    targets: withRefIds(targets),
    fieldConfig: { defaults: { unit: unit }, overrides: [] },
    gridPos: { w: w, h: h },
  },

  timeseries(title, description, unit, targets, w=12, h=8, stack=false, min=0):: $.panel('timeseries', title, description, unit, targets, w, h) {
    fieldConfig+: {
      defaults+: {
        [if min != null then 'min']: min,
        custom: {
          drawStyle: 'line',
          lineWidth: 1,
          fillOpacity: if stack then 30 else 10,
          showPoints: 'never',
          spanNulls: false,
          stacking: { mode: if stack then 'normal' else 'none', group: 'A' },
        },
      },
    },
    options: {
      legend: { displayMode: 'table', placement: 'bottom', calcs: ['lastNotNull', 'max'], showLegend: true },
      tooltip: { mode: 'multi', sort: 'desc' },
    },
  },

  // thresholds: [[value, color], ...] above the green base.
  stat(title, description, unit, targets, w=4, h=4, thresholds=[]):: $.panel('stat', title, description, unit, [t { instant: true, range: false } for t in targets], w, h) {
    fieldConfig+: {
      defaults+: {
        thresholds: {
          mode: 'absolute',
          steps: [{ color: 'green', value: null }] + [{ value: s[0], color: s[1] } for s in thresholds],
        },
      },
    },
    options: {
      reduceOptions: { calcs: ['lastNotNull'], fields: '', values: false },
      colorMode: 'value',
      graphMode: 'none',
      textMode: 'auto',
      justifyMode: 'auto',
      orientation: 'auto',
    },
  },

  // An instant table of label sets; hide lists columns to leave out.
  table(title, description, unit, targets, w=24, h=8, hide=[]):: $.panel('table', title, description, unit, [t { instant: true, range: false, format: 'table' } for t in targets], w, h) {
    options: { showHeader: true, cellHeight: 'sm', footer: { show: false, reducer: ['sum'], fields: '' } },
    transformations: [
      { id: 'merge', options: {} },
      { id: 'organize', options: { excludeByName: { [c]: true for c in ['Time'] + hide } } },
    ],
  },

  row(title):: { type: 'row', title: title, collapsed: false, panels: [], gridPos: { w: 24, h: 1 } },

  // Places panels left to right in rows of 24 columns, a row header on its
  // own line, and numbers them.
  layout(panels)::
    local step(st, p) =
      local id = std.length(st.out) + 1;
      if p.type == 'row' then
        local y = if st.x > 0 then st.y + st.rowH else st.y;
        { x: 0, y: y + 1, rowH: 0, out: st.out + [p { id: id, gridPos: { x: 0, y: y, w: 24, h: 1 } }] }
      else
        local wrap = st.x + p.gridPos.w > 24;
        local x = if wrap then 0 else st.x;
        local y = if wrap then st.y + st.rowH else st.y;
        {
          x: x + p.gridPos.w,
          y: y,
          rowH: if wrap then p.gridPos.h else std.max(st.rowH, p.gridPos.h),
          out: st.out + [p { id: id, gridPos: p.gridPos { x: x, y: y } }],
        };
    std.foldl(step, panels, { x: 0, y: 0, rowH: 0, out: [] }).out,

  datasourceVar:: {
    name: 'datasource',
    label: 'Data source',
    type: 'datasource',
    query: 'prometheus',
    current: {},
    hide: 0,
    refresh: 1,
    regex: '',
    options: [],
  },

  // A label_values() variable, refreshed when the time range changes.
  queryVar(name, label, query, multi=true):: {
    name: name,
    label: label,
    type: 'query',
    datasource: $.ds,
    query: { query: query, refId: 'PrometheusVariableQueryEditor-VariableQuery', qryType: 1 },
    definition: query,
    refresh: 2,
    sort: 1,
    multi: multi,
    includeAll: multi,
    [if multi then 'allValue']: '.*',
    current: {},
    hide: 0,
    regex: '',
    options: [],
  },

  // The variables every RocketMQ dashboard has: datasource, job, instance,
  // cluster and broker, each narrowing the next.
  commonVars(selector):: [
    $.datasourceVar,
    $.queryVar('job', 'Job', 'label_values(rocketmq_exporter_snapshot_age_seconds{%s}, job)' % selector),
    $.queryVar('instance', 'Exporter', 'label_values(rocketmq_exporter_snapshot_age_seconds{job=~"$job"}, instance)'),
    $.queryVar('cluster', 'Cluster', 'label_values(rocketmq_broker_info{job=~"$job", instance=~"$instance"}, cluster)'),
    $.queryVar('broker', 'Broker', 'label_values(rocketmq_broker_info{job=~"$job", instance=~"$instance", cluster=~"$cluster"}, broker)'),
  ],

  dashboard(uid, title, description, variables, panels):: {
    uid: uid,
    title: title,
    description: description,
    tags: ['rocketmq'],
    editable: false,
    graphTooltip: 1,
    schemaVersion: 39,
    version: 1,
    timezone: '',
    refresh: '30s',
    time: { from: 'now-3h', to: 'now' },
    timepicker: {},
    fiscalYearStartMonth: 0,
    liveNow: false,
    annotations: { list: [] },
    links: [{
      title: 'RocketMQ dashboards',
      type: 'dashboards',
      tags: ['rocketmq'],
      asDropdown: true,
      includeVars: true,
      keepTime: true,
      icon: 'external link',
      targetBlank: false,
      tooltip: '',
      url: '',
    }],
    templating: { list: variables },
    panels: $.layout(panels),
  },
}
