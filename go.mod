module github.com/rocketmq-exporter/rocketmq_exporter

go 1.26
