// Package deploy holds no code: deploy/ has the Kubernetes manifests
// (Deployment, Service, ServiceMonitor, and the PrometheusRule rendered from
// the mixin) and the Helm chart in helm/, and this package's tests check
// them (the chart through helm lint and helm template) and the Dockerfile at
// the repository root against the Makefile and the exporter's own flags.
package deploy
