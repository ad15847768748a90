// The exporter itself: whether it collects, what its cycles cost, the
// series it serves and removes, and what deleted topics and groups left on
// the brokers.
local d = import '../lib/dash.libsonnet';

{
  grafanaDashboards+:: {
    'rocketmq-exporter.json':
      local c = $._config;
      local fe = 'job=~"$job", instance=~"$instance"';
      local cl = c.clusterLabel;
      local fb = fe + ', %s=~"$cluster", broker=~"$broker"' % cl;
      local legend = '{{%s}}/{{broker}}' % cl;
      d.dashboard(
        'rocketmq-exporter',
        'RocketMQ / Exporter health and garbage collection',
        'Whether the RocketMQ exporter collects on time, what its calls cost, the series it serves and removes, and what deleted topics and groups left behind on the brokers.',
        d.commonVars(c),
        [
          d.row('Exporter'),
          d.stat('Exporters up', 'Exporter targets Prometheus scraped successfully.', 'none', [
            d.target('sum(up{%s})' % fe),
          ]),
          d.stat('Snapshot age', 'Age of the served snapshot: time since the last collection cycle finished.', 's', [
            d.target('max(rocketmq_exporter_snapshot_age_seconds{%s})' % fe),
          ], thresholds=[[c.snapshotMaxAgeSeconds, 'red']]),
          d.stat('Last cycle', 'How long the last collection cycle took.', 's', [
            d.target('max(rocketmq_exporter_last_cycle_duration_seconds{%s})' % fe),
          ], thresholds=[[c.slowCycleRatio * c.collectIntervalSeconds, 'orange']]),
          d.stat('Cycle overran', '1 when the last cycle hit its deadline and brokers not finished by then were reported down.', 'none', [
            d.target('max(rocketmq_exporter_cycle_overran{%s})' % fe),
          ], thresholds=[[1, 'red']]),
          d.stat('Series served', 'Series the last scrape served, over every family.', 'short', [
            d.target('sum(rocketmq_exporter_series{%s})' % fe),
          ]),
          d.stat('Series dropped', 'Series left out of the last scrape because --collect.max-series dropped whole families (rocketmq_exporter_series_dropped, served only for a family dropped).', 'short', [
            d.target('sum(rocketmq_exporter_series_dropped{%s})' % fe),
          ], thresholds=[[1, 'orange']], noValue='0'),

          d.row('Collection'),
          d.timeseries('Cycle duration', 'How long each collection cycle took, and how long it spent on each broker.', 's', [
            d.target('max by (instance) (rocketmq_exporter_last_cycle_duration_seconds{%s})' % fe, 'cycle {{instance}}'),
            d.target('max by (instance, %s, broker, broker_id) (rocketmq_broker_collect_duration_seconds{%s})' % [cl, fb], legend + '/{{broker_id}}'),
          ], w=8),
          d.timeseries('Snapshot age', 'Time since the served snapshot\'s cycle finished; it saw-tooths between 0 and the collection interval while cycles run on time.', 's', [
            d.target('max by (instance) (rocketmq_exporter_snapshot_age_seconds{%s})' % fe, '{{instance}}'),
          ], w=8),
          d.timeseries('Stale brokers', "1 while a broker's data is carried over from its last good cycle because this one failed.", 'none', [
            d.target('max by (%s, broker, broker_id) (rocketmq_broker_stale{%s})' % [cl, fb], legend + '/{{broker_id}}'),
          ], w=8),
          d.timeseries('RPCs', 'Calls the exporter made to name servers and brokers per second, by request.', 'reqps', [
            d.target('sum by (request) (rate(rocketmq_exporter_rpcs_total{%s}[$__rate_interval]))' % fe, '{{request}}'),
          ], w=8),
          d.timeseries('RPC errors', 'Failed calls per second by request and code. CONSUMER_NOT_ONLINE (a group nobody consumes) and SYSTEM_ERROR of VIEW_BROKER_STATS_DATA (a probed stat item that is rightly gone) are expected answers.', 'reqps', [
            d.target('sum by (request, code) (rate(rocketmq_exporter_rpc_errors_total{%s}[$__rate_interval]))' % fe, '{{request}} {{code}}'),
          ], w=8),
          d.timeseries('RPC latency', 'Average time waiting for an answer, by request.', 's', [
            d.target('sum by (request) (rate(rocketmq_exporter_rpc_duration_seconds_total{%s}[$__rate_interval])) / sum by (request) (rate(rocketmq_exporter_rpcs_total{%s}[$__rate_interval]))' % [fe, fe], '{{request}}'),
          ], w=8),

          d.row('Series and garbage collection'),
          d.timeseries('Series served and entities tracked', 'Series served over every family, next to the topics and groups they describe: series rising while topics and groups stay flat is what RocketMQSeriesGrowingWithoutEntities alerts on.', 'short', [
            d.target('sum by (instance) (rocketmq_exporter_series{%s})' % fe, 'series {{instance}}'),
            d.target('sum by (instance, kind) (rocketmq_exporter_tracked_entities{%s, kind=~"topic|group"})' % fe, '{{kind}}s {{instance}}'),
          ], w=12),
          d.timeseries('Series per family', 'Series served by the 15 largest families.', 'short', [
            d.target('topk(15, max by (family) (rocketmq_exporter_series{%s}))' % fe, '{{family}}'),
          ], w=12),
          d.timeseries('Entities removed', 'Topics, groups, clients, brokers and clusters whose series were removed because they vanished from the listings, per interval.', 'short', [
            d.target('sum by (kind) (increase(rocketmq_exporter_series_removed_total{%s}[$__rate_interval]))' % fe, '{{kind}}'),
          ], w=8),
          d.timeseries('Tracked entities', 'Entities the last snapshot tracks, by kind.', 'short', [
            d.target('max by (kind) (rocketmq_exporter_tracked_entities{%s})' % fe, '{{kind}}'),
          ], w=8),
          d.timeseries('Tombstones', 'Deleted topics and groups the exporter remembers (--leak.tombstone-ttl) to probe brokers for what they left.', 'short', [
            d.target('max by (%s, broker, kind) (rocketmq_exporter_tombstones{%s})' % [cl, fb], legend + ' {{kind}}'),
          ], w=8),
          d.timeseries('Heap held by leaked stat items', "Estimated broker heap held by stat items of deleted topics and groups (rocketmq_broker_leaked_stat_bytes): the items found and those they imply, priced by the calibration in docs/leaks.md. It falls only when the broker restarts. RocketMQBrokerLeakedStatBytesProjected fires when the last %s's trend reaches %d MiB within %d days." % [c.leakedStatBytesWindow, c.leakedStatBytesBudget / 1024 / 1024, c.leakedStatBytesHorizonSeconds / 86400], 'bytes', [
            d.target('max by (%s, broker) (rocketmq_broker_leaked_stat_bytes{%s})' % [cl, fb], legend),
          ], w=12),
          d.timeseries('Leaked stat items', 'Stat items a broker still holds for deleted topics or groups, by stats name; no line for a broker where none were found. Only a broker restart frees them; autoDeleteUnusedStats=true prevents new ones.', 'short', [
            d.target('max by (%s, broker, stats) (rocketmq_broker_leaked_stat_items{%s})' % [cl, fb], legend + ' {{stats}}'),
          ], w=12),
          d.timeseries('Leak probes', 'Stat keys the exporter asked each broker about this cycle to find leaked items; no line while there is nothing to probe.', 'short', [
            d.target('sum by (%s, broker) (max by (%s, broker, stats) (rocketmq_broker_leak_probed_keys{%s}))' % [cl, cl, fb], legend),
          ], w=12),
          d.timeseries('Orphaned offsets and leftover topics', 'Committed consumer offsets whose topic or group no longer exists, and %RETRY%/%DLQ% topics of groups that are gone.', 'short', [
            d.target('max by (%s, broker) (rocketmq_broker_orphaned_consumer_offsets{%s})' % [cl, fb], 'offsets ' + legend),
            d.target('max by (%s, broker, kind) (rocketmq_broker_leftover_topics{%s})' % [cl, fb], '{{kind}} topics ' + legend),
          ], w=12),
          d.table('Broker cleanup settings', 'The broker settings that decide whether statistics of deleted topics and groups are cleaned. autoDeleteUnusedStats=false (the default before 5.x) leaks them.', 'none', [
            d.target('max by (%s, broker, auto_delete_unused_stats, enable_detail_stat, enable_lmq, enable_lmq_stats) (rocketmq_broker_cleanup_config_info{%s})' % [cl, fb], instant=true),
          ], h=6, hide=['Value']),

          d.row('Process'),
          d.timeseries('Memory', 'Resident memory of the exporter process and its Go heap in use.', 'bytes', [
            d.target('process_resident_memory_bytes{%s}' % fe, 'resident {{instance}}'),
            d.target('go_memstats_heap_inuse_bytes{%s}' % fe, 'heap {{instance}}'),
          ], w=8),
          d.timeseries('CPU', 'CPU the exporter process used (1 = one core).', 'percentunit', [
            d.target('rate(process_cpu_seconds_total{%s}[$__rate_interval])' % fe, '{{instance}}'),
          ], w=8),
          d.timeseries('Goroutines', 'Goroutines of the exporter process.', 'short', [
            d.target('go_goroutines{%s}' % fe, '{{instance}}'),
          ], w=8),
        ],
        [d.restarts(c, fb)],
      ),
  },
}
