// Consumer groups: lag in messages and in time, rates, retries, dead
// letters and the consumers online. Panels per group (or group and topic)
// show the $top that rank highest over the time range shown.
local d = import '../lib/dash.libsonnet';

{
  grafanaDashboards+:: {
    'rocketmq-consumer-groups.json':
      local c = $._config;
      local cl = c.clusterLabel;
      local fb = 'job=~"$job", instance=~"$instance", %s=~"$cluster", broker=~"$broker"' % cl;
      local fg = fb + ', group=~"$group"';
      local f = fg + ', topic=~"$topic"';
      // One value per group and topic on a broker, whichever exporter served it.
      local perGT(expr) = 'max by (%s, broker, group, topic) (%s)' % [cl, expr];
      local perG(expr) = 'max by (%s, broker, group) (%s)' % [cl, expr];
      local byPair = '%s, group, topic' % cl;
      local byGroup = '%s, group' % cl;
      local sumPair(expr) = 'sum by (%s) (%s)' % [byPair, perGT(expr)];
      local sumGroup(expr) = 'sum by (%s) (%s)' % [byGroup, perG(expr)];
      // The pairs (or groups) with the highest peak of a gauge over the range.
      local peakPairs(expr, metric, sel) = d.topN(byPair, expr, sumPair('max_over_time(%s{%s}[$__range] @ end())' % [metric, sel]));
      local peakGroups(expr, metric) = d.topN(byGroup, expr, sumGroup('max_over_time(%s{%s}[$__range] @ end())' % [metric, fg]));
      local lagMsgs = 'rocketmq_consumer_group_lag_messages';
      local consumed(window, at='') = sumPair('rate(rocketmq_consumer_group_consumed_messages_total{%s}[%s]%s)' % [f, window, at]);
      local pair = '{{group}} on {{topic}}';
      d.dashboard(
        'rocketmq-consumer-groups',
        'RocketMQ / Consumer groups',
        'How far behind the selected consumer groups are, in messages and in time, how fast they consume, what they retry and send to the dead-letter queue, and which consumers are online.',
        d.commonVars(c) + [
          d.queryVar('group', 'Group', 'label_values(rocketmq_consumer_group_info{%s}, group)' % fb),
          d.queryVar('topic', 'Topic', 'label_values(rocketmq_consumer_group_lag_messages{%s}, topic)' % fg),
          d.topVar(c),
        ],
        [
          d.row('Groups'),
          d.stat('Groups', 'Selected consumer groups.', 'none', [
            d.target('count(count by (%s, group) (rocketmq_consumer_group_info{%s}))' % [cl, fg]),
          ]),
          d.stat('Total lag', 'Messages of the selected topics the selected groups have not consumed, over every broker.', 'short', [
            d.target('sum(%s)' % perGT('rocketmq_consumer_group_lag_messages{%s}' % f)),
          ], thresholds=[[c.lagMessagesThreshold, 'orange']]),
          d.stat('Oldest unconsumed message', 'Age of the oldest message any selected group has not consumed.', 's', [
            d.target('max(rocketmq_consumer_group_lag_seconds{%s})' % f),
          ], thresholds=[[c.lagSecondsThreshold, 'orange']]),
          d.stat('Groups without consumers', 'Selected groups with no consumer online on any broker.', 'none', [
            d.target('sum(max by (%s, group) (rocketmq_consumer_group_online_consumers{%s}) == bool 0)' % [cl, fg]),
          ]),
          d.stat('Messages consumed', 'Messages the selected groups committed per second.', 'mps', [
            d.target('sum(%s)' % perGT('rate(rocketmq_consumer_group_consumed_messages_total{%s}[$__rate_interval])' % f)),
          ]),
          d.stat('Dead-letter messages', 'Messages in the dead-letter topics (%DLQ%<group>) of the selected groups. Empty while none of them has one: the broker creates it with its first dead letter.', 'short', [
            d.target('sum(%s)' % perG('rocketmq_consumer_group_dlq_messages{%s}' % fg)),
          ], thresholds=[[1, 'orange']], noValue='0'),
          d.table('Consumer groups', 'The $top selected groups most behind now, with their message model and consume type (empty while no consumer is online). Value: consumers online.', 'none', [
            d.target(d.topN(byGroup,
                            'max by (%(cl)s, group, message_model, consume_type) (rocketmq_consumer_group_info{%(fg)s}) * on (%(cl)s, group) group_left max by (%(cl)s, group) (rocketmq_consumer_group_online_consumers{%(fg)s})' % { cl: cl, fg: fg },
                            'sum by (%s) (%s)' % [byGroup, perGT('rocketmq_consumer_group_lag_messages{%s}' % fg)]), instant=true),
          ], h=6),

          d.row('Lag'),
          d.timeseries('Lag in messages', 'Messages of each topic the group has not consumed yet, over every broker (retry topics included as %RETRY%<group>): the $top pairs most behind over the time range shown.', 'short', [
            d.target(peakPairs(sumPair('%s{%s}' % [lagMsgs, f]), lagMsgs, f), pair),
          ]),
          d.timeseries('Lag in time', 'Age of the oldest message of each topic the group has not consumed yet, 0 without lag: the $top pairs with the oldest over the time range shown.', 's', [
            d.target(d.topN(byPair, 'max by (%s) (rocketmq_consumer_group_lag_seconds{%s})' % [byPair, f],
                            'max by (%s) (max_over_time(rocketmq_consumer_group_lag_seconds{%s}[$__range] @ end()))' % [byPair, f]), pair),
          ]),
          d.timeseries('Retry lag', "Messages of the group's retry topic (%RETRY%<group>) not yet consumed, over every broker: the $top groups most behind over the time range shown.", 'short', [
            d.target(peakGroups(sumGroup('rocketmq_consumer_group_retry_lag_messages{%s}' % fg), 'rocketmq_consumer_group_retry_lag_messages'), '{{group}}'),
          ], w=8),
          d.timeseries('Dead-letter messages', "Messages in the group's dead-letter topic (%DLQ%<group>), over every broker: the $top groups with the most over the time range shown. No line for a group without one.", 'short', [
            d.target(peakGroups(sumGroup('rocketmq_consumer_group_dlq_messages{%s}' % fg), 'rocketmq_consumer_group_dlq_messages'), '{{group}}'),
          ], w=8),
          d.timeseries('Time since last consume', 'Time since the store time of the last message of each topic the group consumed: the $top pairs that waited longest at the end of the range.', 's', [
            d.target(d.topN(byPair, 'time() - max by (%s) (rocketmq_consumer_group_last_consume_timestamp_seconds{%s} > 0)' % [byPair, f],
                            '-max by (%s) (rocketmq_consumer_group_last_consume_timestamp_seconds{%s} @ end() > 0)' % [byPair, f]), pair),
          ], w=8),

          d.row('Rates'),
          d.timeseries('Messages consumed', 'Messages of each topic the group committed per second (rocketmq_consumer_group_consumed_messages_total): the $top pairs that consumed most over the time range shown.', 'mps', [
            d.target(d.topN(byPair, consumed('$__rate_interval'), consumed('$__range', ' @ end()')), pair),
          ], w=8),
          d.timeseries('Bytes got', "Message bytes of each topic the group got per second, over the broker's last minute: the $top pairs that consumed most over the time range shown.", 'Bps', [
            d.target(d.topN(byPair, sumPair('rocketmq_consumer_group_get_bytes_per_second{%s}' % f), consumed('$__range', ' @ end()')), pair),
          ], w=8),
          d.timeseries('Messages sent back', "Messages of each topic the group sent back for retry in the broker's last minute: the $top pairs that sent most back over the time range shown. No line for a pair that sent none back lately.", 'short', [
            d.target(peakPairs(sumPair('rocketmq_consumer_group_send_back_messages{%s}' % f), 'rocketmq_consumer_group_send_back_messages', f), pair),
          ], w=8),

          d.row('Consumers'),
          d.timeseries('Consumers online', 'Consumer clients of the group connected (the most any broker sees): the $top groups with the most over the time range shown.', 'short', [
            d.target(d.topN(byGroup, 'max by (%s) (rocketmq_consumer_group_online_consumers{%s})' % [byGroup, fg],
                            'max by (%s) (max_over_time(rocketmq_consumer_group_online_consumers{%s}[$__range] @ end()))' % [byGroup, fg]), '{{group}}'),
          ], w=8),
          d.table('Consumer clients', 'Consumer clients connected for the selected groups, with address, language and version (needs --collect.client-metrics, on by default).', 'none', [
            d.target('max by (%s, group, client_id, client_addr, language, version) (rocketmq_consumer_client_info{%s})' % [cl, fg], instant=true),
          ], w=16, hide=['Value']),
        ],
        [d.restarts(c, fb)],
      ),
  },
}
