// Consumer groups: lag in messages and in time, rates, retries, dead
// letters and the consumers online.
local d = import '../lib/dash.libsonnet';

{
  grafanaDashboards+:: {
    'rocketmq-consumer-groups.json':
      local c = $._config;
      local fg = 'job=~"$job", instance=~"$instance", cluster=~"$cluster", broker=~"$broker", group=~"$group"';
      local f = fg + ', topic=~"$topic"';
      // One value per group and topic on a broker, whichever exporter served it.
      local perGT(expr) = 'max by (cluster, broker, group, topic) (%s)' % expr;
      local perG(expr) = 'max by (cluster, broker, group) (%s)' % expr;
      d.dashboard(
        'rocketmq-consumer-groups',
        'RocketMQ / Consumer groups',
        'How far behind the selected consumer groups are, in messages and in time, how fast they consume, what they retry and send to the dead-letter queue, and which consumers are online.',
        d.commonVars(c.rocketmqExporterSelector) + [
          d.queryVar('group', 'Group', 'label_values(rocketmq_consumer_group_info{job=~"$job", instance=~"$instance", cluster=~"$cluster", broker=~"$broker"}, group)'),
          d.queryVar('topic', 'Topic', 'label_values(rocketmq_consumer_group_lag_messages{job=~"$job", instance=~"$instance", cluster=~"$cluster", broker=~"$broker", group=~"$group"}, topic)'),
        ],
        [
          d.row('Groups'),
          d.stat('Groups', 'Selected consumer groups.', 'none', [
            d.target('count(count by (cluster, group) (rocketmq_consumer_group_info{%s}))' % fg),
          ]),
          d.stat('Total lag', 'Messages of the selected topics the selected groups have not consumed, over every broker.', 'short', [
            d.target('sum(%s)' % perGT('rocketmq_consumer_group_lag_messages{%s}' % f)),
          ], thresholds=[[c.lagMessagesThreshold, 'orange']]),
          d.stat('Oldest unconsumed message', 'Age of the oldest message any selected group has not consumed.', 's', [
            d.target('max(rocketmq_consumer_group_lag_seconds{%s})' % f),
          ], thresholds=[[c.lagSecondsThreshold, 'orange']]),
          d.stat('Groups without consumers', 'Selected groups with no consumer online on any broker.', 'none', [
            d.target('count(max by (cluster, group) (rocketmq_consumer_group_online_consumers{%s}) == 0) or vector(0)' % fg),
          ]),
          d.stat('Messages consumed', 'Messages the selected groups committed per second.', 'mps', [
            d.target('sum(%s)' % perGT('rate(rocketmq_consumer_group_consumed_messages_total{%s}[$__rate_interval])' % f)),
          ]),
          d.stat('Dead-letter messages', 'Messages in the dead-letter topics (%DLQ%<group>) of the selected groups.', 'short', [
            d.target('sum(%s) or vector(0)' % perG('rocketmq_consumer_group_dlq_messages{%s}' % fg)),
          ], thresholds=[[1, 'orange']]),
          d.table('Consumer groups', 'Each selected group with its message model and consume type (empty while no consumer is online). Value: consumers online.', 'none', [
            d.target('max by (cluster, group, message_model, consume_type) (rocketmq_consumer_group_info{%s}) * on (cluster, group) group_left max by (cluster, group) (rocketmq_consumer_group_online_consumers{%s})' % [fg, fg], instant=true),
          ], h=6),

          d.row('Lag'),
          d.timeseries('Lag in messages', 'Messages of each topic the group has not consumed yet, over every broker (retry topics included as %RETRY%<group>).', 'short', [
            d.target('sum by (cluster, group, topic) (%s)' % perGT('rocketmq_consumer_group_lag_messages{%s}' % f), '{{group}} on {{topic}}'),
          ]),
          d.timeseries('Lag in time', 'Age of the oldest message of each topic the group has not consumed yet; 0 without lag.', 's', [
            d.target('max by (cluster, group, topic) (rocketmq_consumer_group_lag_seconds{%s})' % f, '{{group}} on {{topic}}'),
          ]),
          d.timeseries('Retry lag', "Messages of the group's retry topic (%RETRY%<group>) not yet consumed, over every broker.", 'short', [
            d.target('sum by (cluster, group) (%s)' % perG('rocketmq_consumer_group_retry_lag_messages{%s}' % fg), '{{group}}'),
          ], w=8),
          d.timeseries('Dead-letter messages', "Messages in the group's dead-letter topic (%DLQ%<group>), over every broker; 0 for groups without one.", 'short', [
            d.target('sum by (cluster, group) (%s) or sum by (cluster, group) (%s) * 0' % [perG('rocketmq_consumer_group_dlq_messages{%s}' % fg), perG('rocketmq_consumer_group_retry_lag_messages{%s}' % fg)], '{{group}}'),
          ], w=8),
          d.timeseries('Time since last consume', 'Time since the store time of the last message of each topic the group consumed.', 's', [
            d.target('time() - max by (cluster, group, topic) (rocketmq_consumer_group_last_consume_timestamp_seconds{%s} > 0)' % f, '{{group}} on {{topic}}'),
          ], w=8),

          d.row('Rates'),
          d.timeseries('Messages consumed', 'Messages of each topic the group committed per second (rocketmq_consumer_group_consumed_messages_total).', 'mps', [
            d.target('sum by (cluster, group, topic) (%s)' % perGT('rate(rocketmq_consumer_group_consumed_messages_total{%s}[$__rate_interval])' % f), '{{group}} on {{topic}}'),
          ], w=8),
          d.timeseries('Bytes got', "Message bytes of each topic the group got per second, over the broker's last minute.", 'Bps', [
            d.target('sum by (cluster, group, topic) (%s)' % perGT('rocketmq_consumer_group_get_bytes_per_second{%s}' % f), '{{group}} on {{topic}}'),
          ], w=8),
          d.timeseries('Messages sent back', "Messages of each topic the group sent back for retry in the broker's last minute; 0 where it sent none back lately.", 'short', [
            d.target('sum by (cluster, group, topic) (%s) or sum by (cluster, group, topic) (%s) * 0' % [perGT('rocketmq_consumer_group_send_back_messages{%s}' % f), perGT('rocketmq_consumer_group_lag_messages{%s}' % f)], '{{group}} on {{topic}}'),
          ], w=8),

          d.row('Consumers'),
          d.timeseries('Consumers online', 'Consumer clients of the group connected (the most any broker sees).', 'short', [
            d.target('max by (cluster, group) (rocketmq_consumer_group_online_consumers{%s})' % fg, '{{group}}'),
          ], w=8),
          d.table('Consumer clients', 'Consumer clients connected for the selected groups, with address, language and version (needs --collect.client-metrics, on by default).', 'none', [
            d.target('max by (cluster, group, client_id, client_addr, language, version) (rocketmq_consumer_client_info{%s})' % fg, instant=true),
          ], w=16, hide=['Value']),
        ],
      ),
  },
}
