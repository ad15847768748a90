// Package check is a randomized model checker for the exporter: it drives
// simulated RocketMQ clusters (package simbroker) through random sequences
// of operations, runs the exporter as the command assembles it (app.New,
// App.Cycle, GET /metrics on App.Handler, audit.Run), and after every
// cycle compares what the exporter serves with the truth the simulator
// keeps (its Oracle). The simulator is the judge: no check reads the
// exporter's own state, except that a cycle which hit its deadline
// counts as not reaching any broker.
//
// # Seeds
//
// A seed fixes a run: its shape (ConfigFor: RocketMQ 5.3.3, 5.4.0 or
// 4.9.7; autoDeleteUnusedStats default, on or off; one or two brokers;
// one or two namesrvs; one cluster or twin clusters with equal cluster and
// broker names) and its operation log (Generate). TestCheck runs a fixed
// set of seeds; CHECK_SEED=<n> replays one, CHECK_SEEDS=<n> or
// -check.long (make check-long) runs many more:
//
//	CHECK_SEED=7 go test ./check/ -run TestCheck -v
//	go test ./check/ -run TestCheck -check.long
//
// A failure prints the seed, the run's shape, each broken invariant, and
// the shortest operation log found that still breaks the first one
// (Shrink: delta debugging, every candidate re-run from scratch).
//
// # Operations
//
// Per broker: create and delete topics and groups, by the admin API
// (DELETE_TOPIC_IN_BROKER; DELETE_SUBSCRIPTIONGROUP with or without its
// offsets) or as mqadmin does (the topic out of the namesrv too; the group
// with its offsets and its %RETRY%/%DLQ% topics); subscribe a group to a
// topic, produce, catch up, consumers coming online and going offline,
// send-back to the retry topic or the DLQ, LMQ traffic; pause a broker (it
// holds every answer), slow it (150-400 ms an answer: cycles hit their
// deadline), kill it (it leaves the namesrvs) and restart it (new boot
// time, every stat item freed); stop and start one or all namesrvs of a
// cluster. On the exporter: restart it (same settings; its state file
// where it has one), rebuild it with other topic and group filters. Churn
// phases replace a group (and every other cycle a topic) on one broker
// each cycle, faster than the probe budget clears within a cycle. After
// the log every fault is healed and quiet cycles run until every probe
// bound has passed.
//
// # Invariants
//
// After every cycle, each with its own failure message:
//
//   - I1: no served series names a broker, topic, group or client its
//     broker does not list, except while a broker has not been reached for
//     at most Grace cycles (then what it listed since it was last reached
//     may stay); nothing at all of a broker out of the namesrv's listing
//     past Grace.
//   - I2: every listed broker has its own rocketmq_up (1 when reached);
//     series of twin clusters never merge; every topic and group within
//     the filters has rocketmq_topic_info and rocketmq_consumer_group_info;
//     a reached broker's groups show the clients connected now (a group
//     that came online within OfflineRefresh cycles may still read 0); a
//     broker not reached keeps its entities' series and their last values:
//     nothing is removed because a call failed or the deadline hit.
//   - I3: rocketmq_broker_leaked_stat_items counts every item the broker
//     leaks (per queue where the broker keeps one per queue) for a deletion
//     the exporter could see, once the probe bound has passed (a fair queue
//     of the keys each deletion makes, see TopicKeys, LeakProbes a cycle,
//     plus ProbeSlack: QuietBound), and never more than the broker holds
//     (once a restart or a re-creation has had ProbeSlack cycles to show);
//     a deletion undone before a cycle saw it owes nothing, and a pair's
//     items are owed only if the exporter saw the pair (or saw it in a
//     first life: a side deleted, seen so, and re-created; the pair's items
//     are owed at either side's next deletion, across exporter restarts,
//     until the broker restarts); orphaned offsets
//     and leftover topics are exactly the broker's; audit's
//     leaked_stat_items holds no live subject (filtered or not), nothing
//     the broker does not leak, and every leak the exporter saw the
//     deletion of, across exporter restarts.
//   - I4: audit prints no delete command for a topic or group live on the
//     cluster, and every command names the namesrvs of its broker's cluster.
//   - I5: served series stay within SeriesBase + SeriesPerBroker per broker
//   - SeriesPerEntity per topic, group, offset pair and client; at the
//     end, no more per-entity series than a fresh exporter serves over the
//     same brokers (+FreshSlack); tombstones per broker never more than the
//     topics and groups ever deleted there; the live heap at the end at
//     most twice that after cycle 3 plus HeapSlack.
//
// Audit (I3, I4) runs every AuditEvery cycles and at the end.
package check
