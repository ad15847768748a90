module github.com/rocketmq-exporter/rocketmq_exporter

go 1.26

require go.uber.org/goleak v1.3.0
