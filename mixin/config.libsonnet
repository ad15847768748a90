// Settings of the RocketMQ mixin. Override any of them with
//
//   (import 'mixin.libsonnet') + { _config+:: { diskWarningRatio: 0.8 } }
//
// Thresholds are in base units (seconds, bytes, ratios 0-1), as the
// exporter serves them.
{
  _config+:: {
    // Selects the exporter's targets in every alert. The rendered
    // alerts/rocketmq-alerts.yaml says job="rocketmq": render your own if
    // your scrape job has another name.
    rocketmqExporterSelector: 'job="rocketmq"',

    // Narrows the dashboards' job variable, e.g. 'job=~"rocketmq.*"'. The
    // variable lists every job that scrapes this exporter (it serves
    // rocketmq_exporter_build_info), so the default, empty, bakes no job
    // name into the rendered dashboards and they show data whatever the
    // scrape job is called.
    dashboardSelector: '',

    // The label that carries RocketMQ's cluster name in Prometheus. The
    // exporter serves it as `cluster`, which many multi-cluster setups also
    // attach to every target. With honor_labels: true the exporter's value
    // wins; with the default honor_labels: false Prometheus renames the
    // exporter's label to exported_cluster: then set 'exported_cluster'
    // here (or rename it with metric_relabel_configs, and set that name).
    // Every alert and dashboard uses this name.
    clusterLabel: 'cluster',

    // Labels the alerts keep when they aggregate broker, topic or group
    // series. The exporter's own instance is dropped (with max by) so two
    // exporters watching the same cluster do not double every alert.
    groupLabels: 'job, ' + self.clusterLabel,

    // Per-topic and per-group dashboard panels show the $top series that
    // rank highest over the time range shown, so a cluster of 100k topics
    // does not draw 100k lines: these are the choices, topDefault the one
    // selected when a dashboard opens.
    topChoices: [5, 10, 20, 50, 100],
    topDefault: 10,

    // Where each alert's runbook_url points: %s is the alert name in lower
    // case, which is the GitHub anchor of its section in docs/runbooks.md.
    runbookURLPattern: 'https://github.com/rocketmq-exporter/rocketmq_exporter/blob/main/docs/runbooks.md#%s',

    // Per-alert `for` overrides, by alert name, applied after everything
    // else: e.g. { RocketMQBrokerLeakedStatItems: '0s' } for a test.
    forOverrides: {},

    // --- exporter ---
    // The exporter's --collect.interval, in seconds.
    collectIntervalSeconds: 15,
    // A cycle taking longer than this fraction of the interval is slow; the
    // exporter's own cycle deadline defaults to 0.9 of the interval.
    slowCycleRatio: 0.75,
    // Age of the served snapshot (seconds) past which the exporter is not
    // collecting: by default eight intervals.
    snapshotMaxAgeSeconds: 120,
    // Share of a request's calls failing with an unexpected code.
    rpcErrorRatio: 0.1,
    // RPC answers that are part of normal operation and never count as
    // errors: a group nobody consumes answers CONSUMER_NOT_ONLINE, a topic
    // or group deleted during a cycle answers *_NOT_EXIST, and a leak probe
    // of a stat item that is (rightly) gone answers SYSTEM_ERROR "not exist".
    rpcExpectedErrors: [
      { request: '.*', code: 'CONSUMER_NOT_ONLINE|TOPIC_NOT_EXIST|SUBSCRIPTION_GROUP_NOT_EXIST' },
      { request: 'VIEW_BROKER_STATS_DATA', code: 'SYSTEM_ERROR' },
    ],

    // --- brokers ---
    // A cluster with fewer brokers than it had at any time in this window.
    brokerCountWindow: '1h',
    // rocketmq_broker_disk_used_ratio: the broker starts deleting files
    // before their retention at diskSpaceCleanForciblyRatio (0.85) and
    // rejects writes at diskSpaceWarningLevelRatio (0.90).
    diskWarningRatio: 0.85,
    diskCriticalRatio: 0.9,
    // Broker's own 99th percentile put latency.
    putLatencyP99Seconds: 0.5,
    // Failed puts over all puts.
    putFailureRatio: 0.01,
    // The broker answers queued sends with SYSTEM_BUSY once they waited
    // waitTimeMillsInSendQueue (default 200 ms).
    sendQueueHeadWaitSeconds: 0.2,
    // A slave this far behind its master is out of sync (haMaxGapNotInSync,
    // default 256 MiB); a SYNC_MASTER then answers SLAVE_NOT_AVAILABLE.
    replicationLagBytes: 256 * 1024 * 1024,
    // RocketMQBrokerDiskFillingUp: the trend of the last diskFillingWindow
    // carries the used ratio past diskCriticalRatio (where the broker
    // rejects writes) within diskFillingHorizonSeconds. Only disks already
    // diskFillingMinRatio full count: an empty disk filling fast is
    // RocketMQBrokerDiskAlmostFull's job once it matters. The nightly
    // retention cleanup (deleteWhen, 04 by default) makes the ratio a saw
    // tooth: 6h spans enough of a day's rise not to take a burst for a trend.
    diskFillingWindow: '6h',
    diskFillingHorizonSeconds: 24 * 3600,
    diskFillingMinRatio: 0.5,
    // Commit-log bytes not yet dispatched to the consume queues: consumers
    // see a message only once dispatched, and a healthy broker dispatches
    // within milliseconds, so a backlog this big for 10 minutes means the
    // dispatch thread cannot keep up (slow consume-queue disk, huge index).
    dispatchBehindBytes: 128 * 1024 * 1024,
    // Commit-log bytes written but not flushed: what a host crash loses
    // with ASYNC_FLUSH; the flush thread normally keeps it to a few pages.
    flushBehindBytes: 128 * 1024 * 1024,
    // A put holding the commit-log lock longer than the broker's
    // osPageCacheBusyTimeOutMills (default 1000 ms) makes it answer sends
    // SYSTEM_BUSY.
    pageCacheBusySeconds: 1,

    // --- consumer groups ---
    // Extra matchers for consumer-group alerts, e.g. 'group!~"TEST_.*"'.
    consumerGroupSelector: 'group!~"TOOLS_CONSUMER|CID_ONSAPI_.*|CID_ONS-HTTP-PROXY|FILTERSRV_CONSUMER|SELF_TEST_C_GROUP|CID_RMQ_SYS_.*"',
    // Unconsumed messages of a group on a topic, over every broker.
    lagMessagesThreshold: 100000,
    // Age of the oldest unconsumed message of a group on a topic.
    lagSecondsThreshold: 600,
    // Lag that grows for lagGrowingFor is only reported past this size.
    lagGrowingMinMessages: 1000,
    lagGrowingFor: '30m',
    // The oldest unconsumed message ages this many seconds per second (1
    // means nothing is consumed at all).
    lagSecondsGrowthRate: 0.5,
    lagSecondsGrowingMin: 60,
    // Backlog a group with no online consumer may have without an alert.
    offlineGroupMaxLag: 0,
    // Dead letters a group may add to its %DLQ% topic per dlqGrowthWindow
    // without an alert: each one is a message that failed every retry.
    dlqGrowthWindow: '15m',
    dlqGrowthMessages: 0,
    // A retry backlog (%RETRY%<group>) growing for retryGrowingFor, past
    // retryGrowingMinMessages, means consumers keep failing messages.
    retryGrowingFor: '30m',
    retryGrowingMinMessages: 1000,

    // --- topics ---
    // Topics that must keep receiving messages, as matchers, e.g.
    // 'topic=~"orders|payments"'. Empty (the default) leaves
    // RocketMQTopicStoppedReceiving out: many topics are quiet by design.
    topicSilenceSelector: '',
    // How long such a topic may go without a new message.
    topicSilenceSeconds: 3600,

    // --- garbage collection ---
    // Series served must have risen in each of seriesGrowthSteps steps of
    // seriesGrowthStepMinutes (a one-off step, such as a flag that adds
    // families, does not count), by seriesGrowthRatio over the whole window,
    // while the topics and groups the exporter tracks grew by no more than
    // entityGrowthTolerance: a cluster that grows is not a leak.
    seriesGrowthStepMinutes: 60,
    seriesGrowthSteps: 3,
    seriesGrowthRatio: 0.2,
    seriesGrowthMinSeries: 100,
    entityGrowthTolerance: 0.02,
    // Leaked stat items rising in each of leakGrowthSteps steps. Keep the
    // window shorter than the exporter's --leak.tombstone-ttl (6h): only
    // deletions it still remembers are probed.
    leakGrowthStepMinutes: 60,
    leakGrowthSteps: 2,
    // Heap a broker may spend on leaked stat items
    // (rocketmq_broker_leaked_stat_bytes, an estimate) before a restart is
    // due: RocketMQBrokerLeakedStatBytesProjected fires when the trend of
    // the last leakedStatBytesWindow carries the estimate past the budget
    // within leakedStatBytesHorizonSeconds. The default, 512 MiB, is a
    // sixteenth of the 8 GiB heap runbroker.sh gives a broker (-Xmx8g):
    // about 190,000 leaked items a day old (docs/leaks.md). Set it to what
    // your brokers' old generation can spare.
    leakedStatBytesBudget: 512 * 1024 * 1024,
    // A day: topics and groups are deleted in daily rhythms (test
    // environments torn down, nightly jobs), so a shorter window would take
    // one batch for a trend, or an idle night for none; and a broker up for
    // less than a day still sees its items' hour and day lists fill, which a
    // day's window spans.
    leakedStatBytesWindow: '1d',
    // A week ahead: time to plan a restart or turn autoDeleteUnusedStats on.
    leakedStatBytesHorizonSeconds: 7 * 24 * 3600,
  },
}
