// Alerts on the exporter, the brokers, consumer groups and what deleted
// topics and groups leave behind. Each alert's runbook_url is added by
// mixin.libsonnet from _config.runbookURLPattern; docs/runbooks.md has a
// section per alert.
{
  local c = $._config,
  local sel = c.rocketmqExporterSelector,
  local by = c.groupLabels,
  // One value per broker process, whichever exporter instance served it.
  local perBroker(expr) = 'max by (%s, broker, broker_id) (%s)' % [by, expr],

  // The RPC errors that are not expected answers, as a rate over 15m.
  local rpcUnexpected =
    std.foldl(
      function(acc, e) acc + '\n    unless rocketmq_exporter_rpc_errors_total{%s, request=~"%s", code=~"%s"}' % [sel, e.request, e.code],
      c.rpcExpectedErrors,
      'rate(rocketmq_exporter_rpc_errors_total{%s}[15m])' % sel,
    ),

  // Broker processes per cluster, whichever exporter instance served them.
  local brokerCount = 'count by (%(by)s) (max by (%(by)s, broker, broker_id) (rocketmq_broker_info{%(sel)s}))' % { by: by, sel: sel },
  local brokerPeak = 'max_over_time((%s)[%s:1m])' % [brokerCount, c.brokerCountWindow],

  local lagSel = std.join(', ', std.filter(function(s) s != '', [sel, c.consumerGroupSelector])),
  // Lag of a group on a topic summed over the brokers.
  local lagMessages(metric_or_fn='%s') =
    'sum by (%(by)s, group, topic) (max by (%(by)s, broker, group, topic) (%(inner)s))' % {
      by: by,
      inner: metric_or_fn % ('rocketmq_consumer_group_lag_messages{%s}' % lagSel),
    },

  // offset clause of step k of a growth window ('' for now).
  // Dead letters a broker added to a group's DLQ in the window. A DLQ that
  // did not exist then (the group's first dead letters create it) counts
  // from zero, but only if the exporter was scraped then: a Prometheus or
  // exporter that just started has no past to compare with. Retention
  // shrinks a DLQ, so a fall counts as nothing added.
  local dlq = 'rocketmq_consumer_group_dlq_messages{%s}' % lagSel,
  local dlqAdded = 'clamp_min(%(x)s - (%(x)s offset %(w)s or (%(x)s * 0 and on (job, instance) (up{%(sel)s} offset %(w)s == 1))), 0)' % {
    x: dlq,
    w: c.dlqGrowthWindow,
    sel: sel,
  },

  // A per-broker group series summed over the brokers.
  local perGroup(expr) = 'sum by (%(by)s, group) (max by (%(by)s, broker, group) (%(e)s))' % { by: by, e: expr },

  local offset(k, minutes) = if k == 0 then '' else ' offset %dm' % (k * minutes),
  // "rose in every step": x(now) > x(1 step ago) > ... > x(n steps ago).
  local risingEveryStep(x, n, minutes) = std.join('\nand\n', [
    '%s > %s' % [x(offset(k, minutes)), x(offset(k + 1, minutes))]
    for k in std.range(0, n - 1)
  ]),

  local series(o) = 'sum without (family) (rocketmq_exporter_series{%s}%s)' % [sel, o],
  local entities(o) = 'sum without (kind) (rocketmq_exporter_tracked_entities{%s, kind=~"topic|group"}%s)' % [sel, o],
  local seriesWindow = offset(c.seriesGrowthSteps, c.seriesGrowthStepMinutes),

  local leaked(o) = 'sum by (%(by)s, broker) (max by (%(by)s, broker, stats) (rocketmq_broker_leaked_stat_items{%(sel)s}%(o)s))' % {
    by: by,
    sel: sel,
    o: o,
  },

  prometheusAlerts+:: {
    groups+: [
      {
        name: 'rocketmq-exporter',
        rules: [
          {
            alert: 'RocketMQExporterDown',
            expr: 'up{%s} == 0' % sel,
            'for': '5m',
            labels: { severity: 'critical' },
            annotations: {
              summary: 'The RocketMQ exporter cannot be scraped.',
              description: 'Prometheus has failed to scrape the RocketMQ exporter {{ $labels.instance }} (job {{ $labels.job }}) for 5 minutes: no RocketMQ alert can fire for the clusters it watches.',
            },
          },
          {
            alert: 'RocketMQExporterAbsent',
            expr: 'absent(up{%s})' % sel,
            'for': '15m',
            labels: { severity: 'critical' },
            annotations: {
              summary: 'No RocketMQ exporter target is known to Prometheus.',
              description: 'Prometheus has had no target matching {{ $labels.job }} for 15 minutes: RocketMQ is not monitored.',
            },
          },
          {
            alert: 'RocketMQExporterNotCollecting',
            expr: 'rocketmq_exporter_snapshot_age_seconds{%s} > %g' % [sel, c.snapshotMaxAgeSeconds],
            'for': '5m',
            labels: { severity: 'critical' },
            annotations: {
              summary: 'The RocketMQ exporter serves an old snapshot.',
              description: 'The newest finished collection cycle of {{ $labels.instance }} is {{ $value | humanizeDuration }} old (more than %gs): every RocketMQ value it serves is stale.' % c.snapshotMaxAgeSeconds,
            },
          },
          {
            alert: 'RocketMQExporterCycleOverran',
            expr: 'avg_over_time(rocketmq_exporter_cycle_overran{%s}[15m]) > 0.5' % sel,
            'for': '15m',
            labels: { severity: 'warning' },
            annotations: {
              summary: 'RocketMQ collection cycles hit their deadline.',
              description: '{{ $value | humanizePercentage }} of the scrapes of {{ $labels.instance }} over 15 minutes saw a cycle that hit its deadline: brokers not finished by then are reported down.',
            },
          },
          {
            alert: 'RocketMQExporterCollectionSlow',
            expr: 'avg_over_time(rocketmq_exporter_last_cycle_duration_seconds{%s}[15m]) > %g' % [sel, c.slowCycleRatio * c.collectIntervalSeconds],
            'for': '15m',
            labels: { severity: 'warning' },
            annotations: {
              summary: 'RocketMQ collection cycles take nearly their whole interval.',
              description: 'Collection cycles of {{ $labels.instance }} took {{ $value | humanizeDuration }} on average over 15 minutes, more than %g%% of the %gs collection interval.' % [c.slowCycleRatio * 100, c.collectIntervalSeconds],
            },
          },
          {
            alert: 'RocketMQExporterRPCErrors',
            expr: |||
              (
                sum by (job, instance, request, code) (
                  %s
                )
                / on (job, instance, request) group_left
                sum by (job, instance, request) (rate(rocketmq_exporter_rpcs_total{%s}[15m]))
              ) > %g
            ||| % [rpcUnexpected, sel, c.rpcErrorRatio],
            'for': '15m',
            labels: { severity: 'warning' },
            annotations: {
              summary: 'RocketMQ calls of the exporter fail.',
              description: '{{ $value | humanizePercentage }} of the {{ $labels.request }} calls of {{ $labels.instance }} failed with {{ $labels.code }} over the last 15 minutes.',
            },
          },
          {
            alert: 'RocketMQExporterSeriesDropped',
            expr: 'sum without (family) (rocketmq_exporter_series_dropped{%s}) > 0' % sel,
            'for': '15m',
            labels: { severity: 'warning' },
            annotations: {
              summary: 'The RocketMQ exporter drops whole metric families to stay under --collect.max-series.',
              description: '{{ $labels.instance }} left {{ $value | humanize }} series out of each scrape because of --collect.max-series; dashboards and alerts on the dropped families see no data.',
            },
          },
        ],
      },
      {
        name: 'rocketmq-broker',
        rules: [
          {
            alert: 'RocketMQNamesrvDown',
            // One series per address: one dead name server of several is
            // lost redundancy, not an outage (that shows as every address
            // of the target down and as its brokers down).
            expr: 'max by (%s, target, namesrv) (rocketmq_namesrv_up{%s}) == 0' % [by, sel],
            'for': '2m',
            labels: { severity: 'warning' },
            annotations: {
              summary: 'A RocketMQ name server does not answer.',
              description: 'Name server {{ $labels.namesrv }} has not answered GET_BROKER_CLUSTER_INFO for 2 minutes; clients and the exporter use the other name servers of its target. If this alert fires for every name server of the target, brokers cannot be discovered and clients cannot route: its brokers then show as RocketMQBrokerDown.',
            },
          },
          {
            alert: 'RocketMQBrokerDown',
            expr: '%s == 0' % perBroker('rocketmq_up{%s, broker!=""}' % sel),
            'for': '1m',
            labels: { severity: 'critical' },
            annotations: {
              summary: 'A RocketMQ broker does not answer.',
              description: 'Broker {{ $labels.cluster }}/{{ $labels.broker }} (id {{ $labels.broker_id }}) has not answered the exporter for a minute; its last data is served as stale until it leaves the name server. Every broker of a target down at once, with RocketMQNamesrvDown for each of its name servers, is the whole target out of reach.',
            },
          },
          {
            alert: 'RocketMQBrokerCountDropped',
            expr: |||
              (
                %(peak)s
                -
                (%(count)s or %(peak)s * 0)
              ) > 0
              and on (job) (max by (job) (up{%(sel)s}) == 1)
            ||| % { peak: brokerPeak, count: brokerCount, sel: sel },
            'for': '2m',
            labels: { severity: 'critical' },
            annotations: {
              summary: 'A RocketMQ cluster has fewer brokers than before.',
              description: 'Cluster {{ $labels.cluster }} lists {{ $value }} broker(s) fewer than it had in the last %s.' % c.brokerCountWindow,
            },
          },
          {
            alert: 'RocketMQBrokerDiskAlmostFull',
            expr: 'max by (%s, broker, broker_id, store) (rocketmq_broker_disk_used_ratio{%s}) > %g' % [by, sel, c.diskWarningRatio],
            'for': '5m',
            labels: { severity: 'warning' },
            annotations: {
              summary: 'A RocketMQ broker disk is nearly full.',
              description: 'The {{ $labels.store }} disk of broker {{ $labels.cluster }}/{{ $labels.broker }} (id {{ $labels.broker_id }}) is {{ $value | humanizePercentage }} full; by default the broker deletes files before their retention from 85% and rejects writes from 90%.',
            },
          },
          {
            alert: 'RocketMQBrokerDiskAlmostFull',
            expr: 'max by (%s, broker, broker_id, store) (rocketmq_broker_disk_used_ratio{%s}) > %g' % [by, sel, c.diskCriticalRatio],
            'for': '2m',
            labels: { severity: 'critical' },
            annotations: {
              summary: 'A RocketMQ broker disk is full enough to reject writes.',
              description: 'The {{ $labels.store }} disk of broker {{ $labels.cluster }}/{{ $labels.broker }} (id {{ $labels.broker_id }}) is {{ $value | humanizePercentage }} full: the broker rejects new messages.',
            },
          },
          {
            alert: 'RocketMQBrokerPutLatencyHigh',
            expr: 'max by (%s, broker, broker_id) (rocketmq_broker_put_latency_seconds{%s, quantile="0.99"}) > %g' % [by, sel, c.putLatencyP99Seconds],
            'for': '10m',
            labels: { severity: 'warning' },
            annotations: {
              summary: 'A RocketMQ broker stores messages slowly.',
              description: 'The 99th percentile put latency of broker {{ $labels.cluster }}/{{ $labels.broker }} (id {{ $labels.broker_id }}) is {{ $value | humanizeDuration }}.',
            },
          },
          {
            alert: 'RocketMQBrokerPutFailures',
            expr: |||
              %(failures)s
              /
              (%(failures)s + %(puts)s)
              > %(ratio)g
            ||| % {
              failures: perBroker('rate(rocketmq_broker_put_failures_total{%s}[5m])' % sel),
              puts: perBroker('rate(rocketmq_broker_put_messages_total{%s}[5m])' % sel),
              ratio: c.putFailureRatio,
            },
            'for': '5m',
            labels: { severity: 'warning' },
            annotations: {
              summary: 'A RocketMQ broker fails to store messages.',
              description: '{{ $value | humanizePercentage }} of the puts of broker {{ $labels.cluster }}/{{ $labels.broker }} (id {{ $labels.broker_id }}) failed over the last 5 minutes.',
            },
          },
          {
            alert: 'RocketMQBrokerSendQueueThrottling',
            expr: '%s >= %g' % [
              perBroker('max_over_time(rocketmq_broker_thread_pool_queue_head_wait_seconds{%s, pool="send"}[5m])' % sel),
              c.sendQueueHeadWaitSeconds,
            ],
            'for': '5m',
            labels: { severity: 'warning' },
            annotations: {
              summary: 'A RocketMQ broker rejects sends because its send queue is congested.',
              description: 'Sends waited up to {{ $value | humanizeDuration }} in the send queue of broker {{ $labels.cluster }}/{{ $labels.broker }} (id {{ $labels.broker_id }}); from %gs the broker answers them SYSTEM_BUSY.' % c.sendQueueHeadWaitSeconds,
            },
          },
          {
            alert: 'RocketMQBrokerReplicationLagHigh',
            expr: '%s > %d' % [perBroker('rocketmq_broker_replication_lag_bytes{%s}' % sel), c.replicationLagBytes],
            'for': '10m',
            labels: { severity: 'warning' },
            annotations: {
              summary: 'A RocketMQ slave is far behind its master.',
              description: 'Slave {{ $labels.broker_id }} of broker {{ $labels.cluster }}/{{ $labels.broker }} is {{ $value | humanize1024 }}B of commit log behind its master.',
            },
          },
          {
            alert: 'RocketMQBrokerDiskFillingUp',
            // node_exporter's NodeFilesystemSpaceFillingUp, with the
            // broker's own write limit as "full".
            expr: |||
              max by (%(by)s, broker, broker_id, store) (predict_linear(rocketmq_broker_disk_used_ratio{%(sel)s}[%(window)s], %(horizon)d)) > %(full)g
              and
              max by (%(by)s, broker, broker_id, store) (rocketmq_broker_disk_used_ratio{%(sel)s}) > %(min)g
            ||| % { by: by, sel: sel, window: c.diskFillingWindow, horizon: c.diskFillingHorizonSeconds, full: c.diskCriticalRatio, min: c.diskFillingMinRatio },
            'for': '1h',
            labels: { severity: 'warning' },
            annotations: {
              summary: 'A RocketMQ broker disk is expected to fill within a day.',
              description: 'At the pace of the last %(window)s, the {{ $labels.store }} disk of broker {{ $labels.cluster }}/{{ $labels.broker }} (id {{ $labels.broker_id }}) reaches {{ $value | humanizePercentage }} within a day, past the %(full)g%% at which the broker rejects writes.' % { window: c.diskFillingWindow, full: c.diskCriticalRatio * 100 },
            },
          },
          {
            alert: 'RocketMQBrokerDispatchBehind',
            expr: '%s > %d' % [perBroker('rocketmq_broker_dispatch_behind_bytes{%s}' % sel), c.dispatchBehindBytes],
            'for': '10m',
            labels: { severity: 'warning' },
            annotations: {
              summary: 'A RocketMQ broker dispatches its commit log to consume queues late.',
              description: 'Broker {{ $labels.cluster }}/{{ $labels.broker }} (id {{ $labels.broker_id }}) has {{ $value | humanize1024 }}B of commit log not yet dispatched to consume queues and indexes: consumers do not see those messages yet.',
            },
          },
          {
            alert: 'RocketMQBrokerFlushBehind',
            expr: '%s > %d' % [perBroker('rocketmq_broker_flush_behind_bytes{%s}' % sel), c.flushBehindBytes],
            'for': '10m',
            labels: { severity: 'warning' },
            annotations: {
              summary: 'A RocketMQ broker flushes its commit log to disk late.',
              description: 'Broker {{ $labels.cluster }}/{{ $labels.broker }} (id {{ $labels.broker_id }}) has {{ $value | humanize1024 }}B of commit log written but not flushed to disk: a host crash loses them, and a SYNC_FLUSH broker answers sends FLUSH_DISK_TIMEOUT.',
            },
          },
          {
            alert: 'RocketMQBrokerPageCacheBusy',
            expr: '%s >= %g' % [
              perBroker('max_over_time(rocketmq_broker_page_cache_lock_seconds{%s}[5m])' % sel),
              c.pageCacheBusySeconds,
            ],
            'for': '5m',
            labels: { severity: 'warning' },
            annotations: {
              summary: 'A RocketMQ broker rejects sends because its page cache is busy.',
              description: 'A put held the commit-log lock of broker {{ $labels.cluster }}/{{ $labels.broker }} (id {{ $labels.broker_id }}) for {{ $value | humanizeDuration }}; from %gs (osPageCacheBusyTimeOutMills) the broker answers sends SYSTEM_BUSY.' % c.pageCacheBusySeconds,
            },
          },
        ],
      },
      {
        name: 'rocketmq-consumer',
        rules: [
          {
            alert: 'RocketMQConsumerLagHigh',
            expr: '%s > %d' % [lagMessages(), c.lagMessagesThreshold],
            'for': '15m',
            labels: { severity: 'warning' },
            annotations: {
              summary: 'A RocketMQ consumer group has a large backlog.',
              description: 'Group {{ $labels.group }} has {{ $value | humanize }} unconsumed messages of topic {{ $labels.topic }} in cluster {{ $labels.cluster }}.',
            },
          },
          {
            alert: 'RocketMQConsumerLagSecondsHigh',
            expr: 'max by (%s, group, topic) (rocketmq_consumer_group_lag_seconds{%s}) > %g' % [by, lagSel, c.lagSecondsThreshold],
            'for': '10m',
            labels: { severity: 'warning' },
            annotations: {
              summary: 'A RocketMQ consumer group is far behind in time.',
              description: 'The oldest message of topic {{ $labels.topic }} that group {{ $labels.group }} has not consumed in cluster {{ $labels.cluster }} is {{ $value | humanizeDuration }} old.',
            },
          },
          {
            alert: 'RocketMQConsumerLagGrowing',
            expr: |||
              %s > 0
              and on (%s, group, topic)
              %s > %d
            ||| % [lagMessages('deriv(%%s[%s])' % c.lagGrowingFor), by, lagMessages(), c.lagGrowingMinMessages],
            'for': c.lagGrowingFor,
            labels: { severity: 'warning' },
            annotations: {
              summary: 'A RocketMQ consumer group keeps falling behind.',
              description: 'The backlog of group {{ $labels.group }} on topic {{ $labels.topic }} in cluster {{ $labels.cluster }} has grown by {{ $value | humanize }} messages per second for %s.' % c.lagGrowingFor,
            },
          },
          {
            alert: 'RocketMQConsumerLagSecondsGrowing',
            expr: |||
              max by (%(by)s, group, topic) (deriv(rocketmq_consumer_group_lag_seconds{%(sel)s}[15m])) > %(rate)g
              and on (%(by)s, group, topic)
              max by (%(by)s, group, topic) (rocketmq_consumer_group_lag_seconds{%(sel)s}) > %(min)g
            ||| % { by: by, sel: lagSel, rate: c.lagSecondsGrowthRate, min: c.lagSecondsGrowingMin },
            'for': '15m',
            labels: { severity: 'warning' },
            annotations: {
              summary: 'A RocketMQ consumer group falls further behind in time.',
              description: 'The oldest message of topic {{ $labels.topic }} not consumed by group {{ $labels.group }} in cluster {{ $labels.cluster }} ages {{ $value | humanize }} seconds per second: the group consumes slower than messages arrive, or not at all.',
            },
          },
          {
            alert: 'RocketMQConsumerGroupOfflineWithLag',
            expr: |||
              sum by (%(by)s, group) (max by (%(by)s, broker, group, topic) (rocketmq_consumer_group_lag_messages{%(sel)s})) > %(max)d
              and on (%(by)s, group)
              max by (%(by)s, group) (rocketmq_consumer_group_online_consumers{%(sel)s}) == 0
            ||| % { by: by, sel: lagSel, max: c.offlineGroupMaxLag },
            'for': '10m',
            labels: { severity: 'warning' },
            annotations: {
              summary: 'A RocketMQ consumer group has a backlog and no consumer online.',
              description: 'Group {{ $labels.group }} in cluster {{ $labels.cluster }} has {{ $value | humanize }} unconsumed messages and no consumer online on any broker.',
            },
          },
          {
            alert: 'RocketMQConsumerGroupDLQGrowing',
            expr: '%s > %d' % [perGroup(dlqAdded), c.dlqGrowthMessages],
            'for': '5m',
            labels: { severity: 'warning' },
            annotations: {
              summary: 'A RocketMQ consumer group sends messages to its dead-letter queue.',
              description: '{{ $value | humanize }} messages of group {{ $labels.group }} in cluster {{ $labels.cluster }} went to its dead-letter topic %%DLQ%%{{ $labels.group }} in the last %s: they failed every retry and nobody consumes them.' % c.dlqGrowthWindow,
            },
          },
          {
            alert: 'RocketMQConsumerRetryGrowing',
            expr: |||
              %s > 0
              and on (%s, group)
              %s > %d
            ||| % [
              perGroup('deriv(rocketmq_consumer_group_retry_lag_messages{%s}[%s])' % [lagSel, c.retryGrowingFor]),
              by,
              perGroup('rocketmq_consumer_group_retry_lag_messages{%s}' % lagSel),
              c.retryGrowingMinMessages,
            ],
            'for': c.retryGrowingFor,
            labels: { severity: 'warning' },
            annotations: {
              summary: 'A RocketMQ consumer group has a growing retry backlog.',
              description: 'The retry backlog (%%RETRY%%{{ $labels.group }}) of group {{ $labels.group }} in cluster {{ $labels.cluster }} has grown by {{ $value | humanize }} messages per second for %s: its consumers keep failing messages.' % c.retryGrowingFor,
            },
          },
        ],
      },
      {
        name: 'rocketmq-garbage',
        rules: [
          {
            alert: 'RocketMQSeriesGrowingWithoutEntities',
            expr: |||
              %(rising)s
              and
              %(now)s > %(ratio)g * %(ago)s
              and
              %(now)s > %(min)d
              and
              %(eNow)s <= %(tol)g * %(eAgo)s
            ||| % {
              rising: risingEveryStep(series, c.seriesGrowthSteps, c.seriesGrowthStepMinutes),
              now: series(''),
              ago: series(seriesWindow),
              eNow: entities(''),
              eAgo: entities(seriesWindow),
              ratio: 1 + c.seriesGrowthRatio,
              tol: 1 + c.entityGrowthTolerance,
              min: c.seriesGrowthMinSeries,
            },
            'for': '1h',
            labels: { severity: 'warning' },
            annotations: {
              summary: 'The RocketMQ exporter serves ever more series for the same topics and groups.',
              description: '{{ $labels.instance }} serves {{ $value | humanize }} series, more every %(step)d minutes for %(n)d steps and over %(pct)g%% more in all, while the topics and groups it tracks did not grow: series are accumulating for things that no longer exist.' % {
                step: c.seriesGrowthStepMinutes,
                n: c.seriesGrowthSteps,
                pct: c.seriesGrowthRatio * 100,
              },
            },
          },
          {
            alert: 'RocketMQBrokerLeakedStatItems',
            // Info: present but stable, it never resolves without a broker
            // restart, so it must not page; growth is the Growing alert.
            expr: '%s > 0' % leaked(''),
            'for': '15m',
            labels: { severity: 'info' },
            annotations: {
              summary: 'A RocketMQ broker keeps statistics of deleted topics or groups.',
              description: 'Broker {{ $labels.cluster }}/{{ $labels.broker }} still holds {{ $value }} stat item(s) of deleted topics or groups; only a broker restart frees them, so this stays until one.',
            },
          },
          {
            alert: 'RocketMQBrokerLeakedStatItemsGrowing',
            expr: risingEveryStep(leaked, c.leakGrowthSteps, c.leakGrowthStepMinutes) + '\n',
            'for': '30m',
            labels: { severity: 'warning' },
            annotations: {
              summary: 'Deleting topics or groups keeps leaking statistics on a RocketMQ broker.',
              description: 'Leaked stat items on broker {{ $labels.cluster }}/{{ $labels.broker }} rose to {{ $value }}, more every %d minutes for %d steps: deletions there keep leaving memory behind, without bound until they stop leaking.' % [c.leakGrowthStepMinutes, c.leakGrowthSteps],
            },
          },
          {
            alert: 'RocketMQBrokerLeakedStatBytesProjected',
            expr: |||
              max by (%(by)s, broker) (predict_linear(rocketmq_broker_leaked_stat_bytes{%(sel)s}[%(window)s], %(horizon)d)) > %(budget)d
              and
              max by (%(by)s, broker) (rocketmq_broker_leaked_stat_bytes{%(sel)s}) > 0
            ||| % { by: by, sel: sel, window: c.leakedStatBytesWindow, horizon: c.leakedStatBytesHorizonSeconds, budget: c.leakedStatBytesBudget },
            'for': '1h',
            labels: { severity: 'warning' },
            annotations: {
              summary: 'A RocketMQ broker is on course to hold more heap in leaked statistics than its budget.',
              description: 'At the pace of the last %s, the heap broker {{ $labels.cluster }}/{{ $labels.broker }} holds for statistics of deleted topics and groups (an estimate) reaches {{ $value | humanize1024 }}B within %s, past the budget of %s; only a restart frees it.' % [
                c.leakedStatBytesWindow,
                '%dd' % (c.leakedStatBytesHorizonSeconds / 86400),
                '%dMiB' % (c.leakedStatBytesBudget / 1024 / 1024),
              ],
            },
          },
          {
            alert: 'RocketMQBrokerOrphanedConsumerOffsets',
            expr: 'max by (%s, broker) (rocketmq_broker_orphaned_consumer_offsets{%s}) > 0' % [by, sel],
            'for': '1h',
            labels: { severity: 'info' },
            annotations: {
              summary: 'A RocketMQ broker keeps consumer offsets of deleted topics or groups.',
              description: 'Broker {{ $labels.cluster }}/{{ $labels.broker }} holds {{ $value }} committed consumer offset(s) whose topic or group no longer exists.',
            },
          },
        ],
      },
    ] + (if c.topicSilenceSelector == '' then [] else [topicGroup]),
  },

  // Opt-in (topicSilenceSelector): many topics are quiet by design.
  local topicGroup = {
    name: 'rocketmq-topic',
    rules: [
      {
        alert: 'RocketMQTopicStoppedReceiving',
        expr: 'time() - max by (%s, topic) (rocketmq_topic_last_put_timestamp_seconds{%s, %s}) > %d' % [by, sel, c.topicSilenceSelector, c.topicSilenceSeconds],
        'for': '5m',
        labels: { severity: 'warning' },
        annotations: {
          summary: 'A RocketMQ topic that should receive messages has stopped receiving them.',
          description: 'Topic {{ $labels.topic }} in cluster {{ $labels.cluster }} received its last message {{ $value | humanizeDuration }} ago on any broker: its producers stopped or cannot send.',
        },
      },
    ],
  },
}
