// Topics: traffic, stored messages, queues, and who lags on them. Panels
// per topic show the $top topics (or topic and group pairs) that rank
// highest over the time range shown.
local d = import '../lib/dash.libsonnet';

{
  grafanaDashboards+:: {
    'rocketmq-topics.json':
      local c = $._config;
      local cl = c.clusterLabel;
      local fb = 'job=~"$job", instance=~"$instance", %s=~"$cluster", broker=~"$broker"' % cl;
      local f = fb + ', topic=~"$topic"';
      // One value per topic on a broker, whichever exporter instance served it.
      local perTopic(expr) = 'max by (%s, broker, topic) (%s)' % [cl, expr];
      local byTopic = '%s, topic' % cl;
      local sumTopic(expr) = 'sum by (%s) (%s)' % [byTopic, perTopic(expr)];
      // Messages put per second over window; at: '' now, ' @ end()' at the
      // end of the range shown.
      local putRate(window, at='') = sumTopic('rate(rocketmq_topic_messages_put_total{%s}[%s]%s)' % [f, window, at]);
      // The topics that received the most messages over the range.
      local busiest(expr) = d.topN(byTopic, expr, putRate('$__range', ' @ end()'));
      local byPair = '%s, topic, group' % cl;
      local perPair(expr) = 'max by (%s, broker, group, topic) (%s)' % [cl, expr];
      local sumPair(expr) = 'sum by (%s) (%s)' % [byPair, perPair(expr)];
      local legend = '{{%s}}/{{topic}}' % cl;
      d.dashboard(
        'rocketmq-topics',
        'RocketMQ / Topics',
        'Messages put to the selected topics, what the brokers store of them, their queues and the consumer groups behind on them.',
        d.commonVars(c) + [
          d.queryVar('topic', 'Topic', 'label_values(rocketmq_topic_info{job=~"$job", instance=~"$instance", %s=~"$cluster", broker=~"$broker"}, topic)' % cl),
          d.topVar(c),
        ],
        [
          d.row('Topics'),
          d.stat('Topics', 'Selected topics (of every kind: normal, retry, DLQ, system).', 'none', [
            d.target('count(count by (%s, topic) (rocketmq_topic_info{%s}))' % [cl, f]),
          ], w=6),
          d.stat('Messages put', 'Messages put per second to the selected topics, over every broker.', 'mps', [
            d.target('sum(%s)' % perTopic('rate(rocketmq_topic_messages_put_total{%s}[$__rate_interval])' % f)),
          ], w=6),
          d.stat('Stored messages', 'Messages of the selected topics still stored (max minus min offset of every queue).', 'short', [
            d.target('sum(%s)' % perTopic('rocketmq_topic_stored_messages{%s}' % f)),
          ], w=6),
          d.stat('Topics by kind', 'Topics configured on the selected brokers, by kind.', 'none', [
            d.target('sum by (kind) (max by (%s, broker, kind) (rocketmq_broker_topics{%s}))' % [cl, fb], '{{kind}}'),
          ], w=6),
          d.table('Busiest topics', 'The $top selected topics on each broker that received the most messages over the time range shown, with their kind and whether they are ordered (Value: write queues).', 'none', [
            d.target(d.topN('%s, broker, topic' % cl,
                            'max by (%(cl)s, broker, topic, kind, order) (rocketmq_topic_info{%(f)s}) * on (%(cl)s, broker, topic) group_left %(wq)s' % { cl: cl, f: f, wq: perTopic('rocketmq_topic_write_queues{%s}' % f) },
                            perTopic('rate(rocketmq_topic_messages_put_total{%s}[$__range])' % f)), instant=true),
          ]),

          d.row('Traffic'),
          d.timeseries('Messages put per topic', 'Messages put per second to each of the $top busiest topics, over every broker (rocketmq_topic_messages_put_total).', 'mps', [
            d.target(busiest(putRate('$__rate_interval')), legend),
          ]),
          d.timeseries('Bytes put per topic', "Message bytes put per second to each of the $top busiest topics, over the broker's last minute.", 'Bps', [
            d.target(busiest(sumTopic('rocketmq_topic_put_bytes_per_second{%s}' % f)), legend),
          ]),
          d.timeseries('Messages put per broker', 'Messages put per second to the selected topics on each broker: how producers spread them.', 'mps', [
            d.target('sum by (%s, broker) (%s)' % [cl, perTopic('rate(rocketmq_topic_messages_put_total{%s}[$__rate_interval])' % f)], '{{%s}}/{{broker}}' % cl),
          ], w=8),
          d.timeseries('Stored messages', 'Messages still stored of each of the $top topics storing the most at the end of the range, over every broker.', 'short', [
            d.target(d.topN(byTopic, sumTopic('rocketmq_topic_stored_messages{%s}' % f), sumTopic('rocketmq_topic_stored_messages{%s} @ end()' % f)), legend),
          ], w=8),
          d.timeseries('Write queues', 'Write queues of each of the $top busiest topics on each broker.', 'short', [
            d.target(d.topN('%s, broker, topic' % cl, perTopic('rocketmq_topic_write_queues{%s}' % f),
                            perTopic('rate(rocketmq_topic_messages_put_total{%s}[$__range] @ end())' % f)), '{{%s}}/{{broker}}/{{topic}}' % cl),
          ], w=8),

          d.row('Consumers'),
          d.timeseries('Lag per consumer group', 'Messages of the selected topics each consumer group has not consumed yet, over every broker: the $top pairs most behind over the time range shown.', 'short', [
            d.target(d.topN(byPair, sumPair('rocketmq_consumer_group_lag_messages{%s}' % f),
                            sumPair('max_over_time(rocketmq_consumer_group_lag_messages{%s}[$__range] @ end())' % f)), '{{group}} on {{topic}}'),
          ]),
          d.timeseries('Messages consumed per group', 'Messages of the selected topics each consumer group committed per second: the $top pairs that consumed most over the time range shown.', 'mps', [
            d.target(d.topN(byPair, sumPair('rate(rocketmq_consumer_group_consumed_messages_total{%s}[$__rate_interval])' % f),
                            sumPair('rate(rocketmq_consumer_group_consumed_messages_total{%s}[$__range] @ end())' % f)), '{{group}} on {{topic}}'),
          ]),
        ],
        [d.restarts(c, fb)],
      ),
  },
}
