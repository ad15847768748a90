// Topics: traffic, stored messages, queues, and who lags on them.
local d = import '../lib/dash.libsonnet';

{
  grafanaDashboards+:: {
    'rocketmq-topics.json':
      local c = $._config;
      local fb = 'job=~"$job", instance=~"$instance", cluster=~"$cluster", broker=~"$broker"';
      local f = fb + ', topic=~"$topic"';
      // One value per topic on a broker, whichever exporter instance served it.
      local perTopic(expr) = 'max by (cluster, broker, topic) (%s)' % expr;
      d.dashboard(
        'rocketmq-topics',
        'RocketMQ / Topics',
        'Messages put to the selected topics, what the brokers store of them, their queues and the consumer groups behind on them.',
        d.commonVars(c.rocketmqExporterSelector) + [
          d.queryVar('topic', 'Topic', 'label_values(rocketmq_topic_info{job=~"$job", instance=~"$instance", cluster=~"$cluster", broker=~"$broker"}, topic)'),
        ],
        [
          d.row('Topics'),
          d.stat('Topics', 'Selected topics (of every kind: normal, retry, DLQ, system).', 'none', [
            d.target('count(count by (cluster, topic) (rocketmq_topic_info{%s}))' % f),
          ], w=6),
          d.stat('Messages put', 'Messages put per second to the selected topics, over every broker.', 'mps', [
            d.target('sum(%s)' % perTopic('rate(rocketmq_topic_messages_put_total{%s}[$__rate_interval])' % f)),
          ], w=6),
          d.stat('Stored messages', 'Messages of the selected topics still stored (max minus min offset of every queue).', 'short', [
            d.target('sum(%s)' % perTopic('rocketmq_topic_stored_messages{%s}' % f)),
          ], w=6),
          d.stat('Topics by kind', 'Topics configured on the selected brokers, by kind.', 'none', [
            d.target('sum by (kind) (max by (cluster, broker, kind) (rocketmq_broker_topics{%s}))' % fb, '{{kind}}'),
          ], w=6),
          d.table('Topics', 'Each selected topic on each broker with its kind and whether it is ordered (Value: write queues).', 'none', [
            d.target('max by (cluster, broker, topic, kind, order) (rocketmq_topic_info{%s}) * on (cluster, broker, topic) group_left %s' % [f, perTopic('rocketmq_topic_write_queues{%s}' % f)], instant=true),
          ]),

          d.row('Traffic'),
          d.timeseries('Messages put per topic', 'Messages put per second to each topic, over every broker (rocketmq_topic_messages_put_total).', 'mps', [
            d.target('sum by (cluster, topic) (%s)' % perTopic('rate(rocketmq_topic_messages_put_total{%s}[$__rate_interval])' % f), '{{cluster}}/{{topic}}'),
          ]),
          d.timeseries('Bytes put per topic', "Message bytes put per second to each topic, over the broker's last minute.", 'Bps', [
            d.target('sum by (cluster, topic) (%s)' % perTopic('rocketmq_topic_put_bytes_per_second{%s}' % f), '{{cluster}}/{{topic}}'),
          ]),
          d.timeseries('Messages put per broker', 'Messages put per second to the selected topics on each broker: how producers spread them.', 'mps', [
            d.target('sum by (cluster, broker) (%s)' % perTopic('rate(rocketmq_topic_messages_put_total{%s}[$__rate_interval])' % f), '{{cluster}}/{{broker}}'),
          ], w=8),
          d.timeseries('Stored messages', 'Messages of each topic still stored, over every broker.', 'short', [
            d.target('sum by (cluster, topic) (%s)' % perTopic('rocketmq_topic_stored_messages{%s}' % f), '{{cluster}}/{{topic}}'),
          ], w=8),
          d.timeseries('Write queues', 'Write queues of each topic on each broker.', 'short', [
            d.target(perTopic('rocketmq_topic_write_queues{%s}' % f), '{{cluster}}/{{broker}}/{{topic}}'),
          ], w=8),

          d.row('Consumers'),
          d.timeseries('Lag per consumer group', 'Messages of the selected topics each consumer group has not consumed yet, over every broker.', 'short', [
            d.target('sum by (cluster, topic, group) (max by (cluster, broker, group, topic) (rocketmq_consumer_group_lag_messages{%s}))' % f, '{{group}} on {{topic}}'),
          ]),
          d.timeseries('Messages consumed per group', 'Messages of the selected topics each consumer group committed per second.', 'mps', [
            d.target('sum by (cluster, topic, group) (max by (cluster, broker, group, topic) (rate(rocketmq_consumer_group_consumed_messages_total{%s}[$__rate_interval])))' % f, '{{group}} on {{topic}}'),
          ]),
        ],
      ),
  },
}
