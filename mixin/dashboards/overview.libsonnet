// Cluster overview: which brokers there are and whether they answer, what
// goes in and out, and how close each broker is to refusing writes. Its
// tables link to the topic, consumer-group and exporter dashboards.
local d = import '../lib/dash.libsonnet';

{
  grafanaDashboards+:: {
    'rocketmq-overview.json':
      local c = $._config;
      local cl = c.clusterLabel;
      local f = 'job=~"$job", instance=~"$instance", %s=~"$cluster", broker=~"$broker"' % cl;
      // One value per broker process, whichever exporter instance served it.
      local perProc(expr) = 'max by (%s, broker, broker_id) (%s)' % [cl, expr];
      local perBroker(expr) = 'sum by (%s, broker) (%s)' % [cl, perProc(expr)];
      local legend = '{{%s}}/{{broker}}' % cl;
      local legendProc = '{{%s}}/{{broker}}/{{broker_id}}' % cl;
      local cell(label) = '${__data.fields.%s:percentencode}' % label;
      d.dashboard(
        'rocketmq-overview',
        'RocketMQ / Cluster overview',
        'Brokers of the selected RocketMQ clusters: whether they answer, messages in and out, latency, disk and replication.',
        d.commonVars(c) + [d.topVar(c)],
        [
          d.row('Cluster'),
          d.stat('Brokers up', 'Broker processes (masters and slaves) that answered every call of the exporter\'s last cycle.', 'none', [
            d.target('sum(%s)' % perProc('rocketmq_up{%s}' % f)),
          ]),
          d.stat('Brokers down', 'Broker processes the name server lists that did not answer the exporter\'s last cycle (rocketmq_up 0).', 'none', [
            d.target('sum(%s == bool 0)' % perProc('rocketmq_up{%s}' % f)),
          ], thresholds=[[1, 'red']]),
          d.stat('Name servers up', 'Name server targets of the exporter that answered GET_BROKER_CLUSTER_INFO, out of all targets.', 'none', [
            d.target('sum(max by (namesrv) (rocketmq_namesrv_up{job=~"$job", instance=~"$instance"}))'),
          ]),
          d.stat('Topics', 'Normal topics configured on the selected brokers (system, retry and DLQ topics not counted).', 'none', [
            d.target('count(count by (%s, topic) (rocketmq_topic_info{%s, kind="normal"}))' % [cl, f]),
          ]),
          d.stat('Consumer groups', 'Consumer groups the selected brokers know.', 'none', [
            d.target('count(count by (%s, group) (rocketmq_consumer_group_info{%s}))' % [cl, f]),
          ]),
          d.stat('Messages put', 'Messages stored per second by the selected brokers.', 'mps', [
            d.target('sum(%s)' % perProc('rate(rocketmq_broker_put_messages_total{%s}[$__rate_interval])' % f)),
          ]),
          d.table('Brokers', 'Every broker process with its address, role, version and whether it answered (Value: rocketmq_up). A broker links to its topics, consumer groups and collection.', 'none', [
            d.target('max by (%(cl)s, broker, broker_id, addr, role, version) (rocketmq_broker_info{%(f)s}) * on (%(cl)s, broker, broker_id) group_left %(up)s' % { cl: cl, f: f, up: perProc('rocketmq_up{%s}' % f) }, instant=true),
          ], h=6, links={
            broker: [
              d.link('Topics of ${__data.fields.broker}', 'rocketmq-topics', { cluster: cell(cl), broker: cell('broker') }),
              d.link('Consumer groups of ${__data.fields.broker}', 'rocketmq-consumer-groups', { cluster: cell(cl), broker: cell('broker') }),
              d.link('Collection and leaks of ${__data.fields.broker}', 'rocketmq-exporter', { cluster: cell(cl), broker: cell('broker') }),
            ],
          }),
          d.table('Busiest topics', 'The $top topics that received the most messages per second over the time range shown, over every selected broker (Value). A topic links to its dashboard.', 'mps', [
            d.target('topk($top, sum by (%s, topic) (%s))' % [cl, perBroker('rate(rocketmq_topic_messages_put_total{%s}[$__range])' % f)], instant=true),
          ], w=12, h=8, links={
            topic: [d.link('Topic ${__data.fields.topic}', 'rocketmq-topics', { cluster: cell(cl), topic: cell('topic') })],
          }),
          d.table('Consumer groups most behind', 'The $top consumer groups with the most unconsumed messages now, over every topic and selected broker (Value). A group links to its dashboard.', 'short', [
            d.target('topk($top, sum by (%s, group) (max by (%s, broker, group, topic) (rocketmq_consumer_group_lag_messages{%s})))' % [cl, cl, f], instant=true),
          ], w=12, h=8, links={
            group: [d.link('Consumer group ${__data.fields.group}', 'rocketmq-consumer-groups', { cluster: cell(cl), group: cell('group') })],
          }),

          d.row('Throughput'),
          d.timeseries('Messages put per broker', 'Messages each broker stored per second (rocketmq_broker_put_messages_total).', 'mps', [
            d.target(perBroker('rate(rocketmq_broker_put_messages_total{%s}[$__rate_interval])' % f), legend),
          ], w=8),
          d.timeseries('Bytes put per broker', 'Message bytes each broker stored per second (rocketmq_broker_put_bytes_total).', 'Bps', [
            d.target(perBroker('rate(rocketmq_broker_put_bytes_total{%s}[$__rate_interval])' % f), legend),
          ], w=8),
          d.timeseries('Messages consumed per broker', 'Messages consumer groups committed per second on each broker (rocketmq_consumer_group_consumed_messages_total, all groups and topics).', 'mps', [
            d.target('sum by (%(cl)s, broker) (max by (%(cl)s, broker, group, topic) (rate(rocketmq_consumer_group_consumed_messages_total{%(f)s}[$__rate_interval])))' % { cl: cl, f: f }, legend),
          ], w=8),

          d.row('Latency and throttling'),
          d.timeseries('Put latency', "The broker's own 99th and 99.9th percentile put latency over its recent window, and its longest put in the current stats window.", 's', [
            d.target('max by (%s, broker, broker_id, quantile) (rocketmq_broker_put_latency_seconds{%s})' % [cl, f], 'p{{quantile}} ' + legendProc),
            d.target(perProc('rocketmq_broker_put_latency_max_seconds{%s}' % f), 'max ' + legendProc),
          ], w=8),
          d.timeseries('Failed puts', 'Puts each broker failed per second (rocketmq_broker_put_failures_total): disk full, page cache busy, flush or slave timeouts.', 'ops', [
            d.target(perProc('rate(rocketmq_broker_put_failures_total{%s}[$__rate_interval])' % f), legendProc),
          ], w=8),
          d.timeseries('Send queue head wait', 'How long the oldest request in each thread pool queue has waited. From 200 ms (waitTimeMillsInSendQueue) the broker answers queued sends SYSTEM_BUSY.', 's', [
            d.target('max by (%s, broker, broker_id, pool) (rocketmq_broker_thread_pool_queue_head_wait_seconds{%s})' % [cl, f], '{{pool}} ' + legendProc),
          ], w=8),

          d.row('Storage and replication'),
          d.timeseries('Disk used', 'Used fraction of the disk holding the commit log and of the one holding the consume queues. The broker force-deletes files from 85% and rejects writes from 90%.', 'percentunit', [
            d.target('max by (%s, broker, broker_id, store) (rocketmq_broker_disk_used_ratio{%s})' % [cl, f], '{{store}} ' + legendProc),
          ], w=8, min=null) { fieldConfig+: { defaults+: { min: 0, max: 1 } } },
          d.timeseries('Commit log disk free', 'Free space of the file system holding each broker\'s commit log.', 'bytes', [
            d.target(perProc('rocketmq_broker_commitlog_dir_free_bytes{%s}' % f), legendProc),
          ], w=8),
          d.timeseries('Slave replication lag', 'Commit-log bytes each slave is behind its master. Empty for broker groups without a slave. Past 256 MiB (haMaxGapNotInSync) the slave counts as out of sync.', 'bytes', [
            d.target('max by (%s, broker, broker_id) (rocketmq_broker_replication_lag_bytes{%s})' % [cl, f], legendProc),
          ], w=8),
          d.timeseries('Dispatch and flush backlog', 'Commit-log bytes not yet dispatched to consume queues and indexes, and bytes written but not yet flushed to disk.', 'bytes', [
            d.target(perProc('rocketmq_broker_dispatch_behind_bytes{%s}' % f), 'dispatch ' + legendProc),
            d.target(perProc('rocketmq_broker_flush_behind_bytes{%s}' % f), 'flush ' + legendProc),
          ], w=12),
          d.timeseries('Thread pool queues', 'Requests waiting in each broker thread pool queue.', 'short', [
            d.target('max by (%s, broker, broker_id, pool) (rocketmq_broker_thread_pool_queue_size{%s})' % [cl, f], '{{pool}} ' + legendProc),
          ], w=12),
        ],
        [d.restarts(c, f)],
      ),
  },
}
