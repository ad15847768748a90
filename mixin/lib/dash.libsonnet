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

  // thresholds: [[value, color], ...] above the green base. noValue is
  // shown when the query returns nothing (a family served only once there
  // is something to count): the query itself has no fallback, so an
  // exporter that serves nothing still shows as no data in tests.
  stat(title, description, unit, targets, w=4, h=4, thresholds=[], noValue=null):: $.panel('stat', title, description, unit, [t { instant: true, range: false } for t in targets], w, h) {
    fieldConfig+: {
      defaults+: {
        [if noValue != null then 'noValue']: noValue,
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

  // An instant table of label sets; hide lists columns to leave out, links
  // maps a column to the data links of its cells (see link).
  table(title, description, unit, targets, w=24, h=8, hide=[], links={}):: $.panel('table', title, description, unit, [t { instant: true, range: false, format: 'table' } for t in targets], w, h) {
    fieldConfig+: {
      overrides: [
        { matcher: { id: 'byName', options: col }, properties: [{ id: 'links', value: links[col] }] }
        for col in std.objectFields(links)
      ],
    },
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
  // cluster and broker, each narrowing the next. The jobs are those that
  // scrape the exporter (its build-info metric), so no job name is baked
  // in; c.dashboardSelector narrows them for those who render their own.
  commonVars(c):: [
    $.datasourceVar,
    $.queryVar('job', 'Job', 'label_values(rocketmq_exporter_build_info%s, job)' % (if c.dashboardSelector == '' then '' else '{%s}' % c.dashboardSelector)),
    $.queryVar('instance', 'Exporter', 'label_values(rocketmq_exporter_build_info{job=~"$job"}, instance)'),
    $.queryVar('cluster', 'Cluster', 'label_values(rocketmq_broker_info{job=~"$job", instance=~"$instance"}, %s)' % c.clusterLabel),
    $.queryVar('broker', 'Broker', 'label_values(rocketmq_broker_info{job=~"$job", instance=~"$instance", %s=~"$cluster"}, broker)' % c.clusterLabel),
  ],

  // $top: how many series a per-topic or per-group panel shows (see topN).
  topVar(c):: {
    local opt(n) = { text: std.toString(n), value: std.toString(n), selected: n == c.topDefault },
    name: 'top',
    label: 'Top N',
    type: 'custom',
    query: std.join(',', [std.toString(n) for n in c.topChoices]),
    current: opt(c.topDefault),
    options: [opt(n) for n in c.topChoices],
    multi: false,
    includeAll: false,
    hide: 0,
  },

  // The series of expr (aggregated by the labels in by) whose labels rank
  // among the $top highest by rank, which aggregates by the same labels
  // over the whole time range at its end (`[$__range] @ end()`): every
  // step shows the same N series, where a plain topk per step would pick
  // new ones at each step and draw many more lines.
  topN(by, expr, rank):: '%s\nand on (%s)\ntopk($top, %s)' % [expr, by, rank],

  // A data link from a table cell to another RocketMQ dashboard: the
  // datasource, job and instance chosen here, the time range, and vars
  // (variable name -> value, e.g. '${__data.fields.topic:percentencode}').
  link(title, uid, vars):: {
    title: title,
    url: '/d/%s/%s?%s' % [uid, uid, std.join('&', [
      '${datasource:queryparam}',
      '${job:queryparam}',
      '${instance:queryparam}',
    ] + ['var-%s=%s' % [k, vars[k]] for k in std.objectFields(vars)] + ['${__url_time_range}'])],
    targetBlank: false,
  },

  // Marks each broker start on the time axis: the value of
  // rocketmq_broker_boot_time_seconds (in milliseconds) is the time of the
  // event, so a restart shows where it happened even between scrapes.
  restarts(c, f):: {
    name: 'Broker restarts',
    datasource: $.ds,
    enable: true,
    hide: false,
    iconColor: 'orange',
    expr: '1000 * max by (%(cl)s, broker, broker_id) (rocketmq_broker_boot_time_seconds{%(f)s})' % { cl: c.clusterLabel, f: f },
    step: '1m',
    titleFormat: 'Broker started',
    textFormat: '{{%s}}/{{broker}} (id {{broker_id}})' % c.clusterLabel,
    tagKeys: '%s,broker,broker_id' % c.clusterLabel,
    useValueForTime: true,
  },

  dashboard(uid, title, description, variables, panels, annotations=[]):: {
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
    annotations: { list: annotations },
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
