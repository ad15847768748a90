package deploy

import (
	"fmt"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"

	"github.com/rocketmq-exporter/rocketmq_exporter/shard"
)

// podValues exercise every part of the pod template, so that comparing the
// StatefulSet's pods with the Deployment's compares all of it.
var podValues = []string{
	"targets[0].name=prod", "targets[0].addresses={ns-0:9876,ns-1:9876}",
	"acl.existingSecret=rmq-acl", "webConfig.existingSecret=rmq-web", "webConfig.tls=true",
	"extraArgs={--collect.interval=30s}", "extraEnv[0].name=TZ", "extraEnv[0].value=UTC",
	"extraVolumes[0].name=keys", "extraVolumes[0].secret.secretName=rmq-keys",
	"extraVolumeMounts[0].name=keys", "extraVolumeMounts[0].mountPath=/keys",
	"podLabels.team=mq", "podAnnotations.note=x", "nodeSelector.pool=mon",
	"tolerations[0].key=mon", "tolerations[0].operator=Exists",
	"priorityClassName=high", "imagePullSecrets[0].name=pull",
	"serviceMonitor.enabled=true",
}

// shardArgs are the flags the chart adds to each shard's container.
func shardArgs(n int) []string {
	return []string{fmt.Sprintf("--shard.count=%d", n), "--shard.index-from-hostname"}
}

type labelSelector struct {
	MatchLabels      map[string]string `json:"matchLabels"`
	MatchExpressions []struct {
		Key      string   `json:"key"`
		Operator string   `json:"operator"`
		Values   []string `json:"values"`
	} `json:"matchExpressions"`
}

// selects is a Kubernetes label selector's verdict on labels, as the
// Prometheus Operator applies a ServiceMonitor's selector to Services (an
// empty one selects everything).
func (s labelSelector) selects(labels map[string]string) bool {
	for k, v := range s.MatchLabels {
		if labels[k] != v {
			return false
		}
	}
	for _, e := range s.MatchExpressions {
		v, has := labels[e.Key]
		var ok bool
		switch e.Operator {
		case "In":
			ok = has && slices.Contains(e.Values, v)
		case "NotIn":
			ok = !has || !slices.Contains(e.Values, v)
		case "Exists":
			ok = has
		case "DoesNotExist":
			ok = !has
		}
		if !ok {
			return false
		}
	}
	return true
}

// servesPods tells whether a Service's selector picks pods with labels:
// an empty one picks none (its endpoints are managed by hand).
func servesPods(selector, labels map[string]string) bool {
	return len(selector) > 0 && labelSelector{MatchLabels: selector}.selects(labels)
}

type statefulSet struct {
	Metadata struct {
		Name string `json:"name"`
	} `json:"metadata"`
	Spec struct {
		Replicas            int           `json:"replicas"`
		PodManagementPolicy string        `json:"podManagementPolicy"`
		ServiceName         string        `json:"serviceName"`
		Selector            labelSelector `json:"selector"`
		Template            struct {
			Metadata struct {
				Labels map[string]string `json:"labels"`
			} `json:"metadata"`
		} `json:"template"`
	} `json:"spec"`
}

type servicePort struct {
	Name string `json:"name"`
}

type service struct {
	Metadata struct {
		Name      string            `json:"name"`
		Namespace string            `json:"namespace"`
		Labels    map[string]string `json:"labels"`
	} `json:"metadata"`
	Spec struct {
		ClusterIP string            `json:"clusterIP"`
		Selector  map[string]string `json:"selector"`
		Ports     []servicePort     `json:"ports"`
	} `json:"spec"`
}

func services(t *testing.T, objs map[string][]object) []service {
	t.Helper()
	var svcs []service
	for _, o := range objs["Service"] {
		var s service
		if err := yaml.Unmarshal(o.raw, &s); err != nil {
			t.Fatal(err)
		}
		svcs = append(svcs, s)
	}
	return svcs
}

// podTemplate is spec.template of the only object of kind, generically.
func podTemplate(t *testing.T, objs map[string][]object, kind string) map[string]any {
	t.Helper()
	var w struct {
		Spec struct {
			Template map[string]any `json:"template"`
		} `json:"spec"`
	}
	one(t, objs, kind, &w)
	return w.Spec.Template
}

// TestHelmChartOneShard: shards=1 (the default, or given) renders the
// Deployment with no shard flag, one Service and no StatefulSet.
func TestHelmChartOneShard(t *testing.T) {
	needHelm(t)
	for _, sets := range [][]string{nil, {"shards=1", "serviceMonitor.enabled=true"}} {
		objs := render(t, sets...)
		if n := len(objs["StatefulSet"]); n != 0 {
			t.Errorf("values %q render %d StatefulSets, want none", sets, n)
		}
		if n := len(objs["Service"]); n != 1 {
			t.Errorf("values %q render %d Services, want 1", sets, n)
		}
		c := container(t, objs)
		if i := slices.IndexFunc(c.Args, func(a string) bool { return strings.HasPrefix(a, "--shard.") }); i >= 0 {
			t.Errorf("values %q: unsharded exporter runs with %q", sets, c.Args[i])
		}
	}
}

// TestHelmChartShards: shards=4 renders, instead of the Deployment, a
// StatefulSet of 4 parallel pods whose template is the Deployment's plus
// the shard flags, its headless Service, and one ServiceMonitor whose
// selector picks the one Service in front of every shard's pod (not the
// headless one too, which would scrape each shard twice); the pods' names
// give the exporter the indexes 0 to 3.
func TestHelmChartShards(t *testing.T) {
	needHelm(t)
	sets := append(slices.Clone(podValues), "shards=4")
	lint := []string{"lint", "--strict", filepath.Join(root, "deploy", chartDir)}
	for _, s := range sets {
		lint = append(lint, "--set", s)
	}
	if out, err := helm(t, lint...); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	objs := render(t, sets...)
	if n := len(objs["Deployment"]); n != 0 {
		t.Errorf("shards=4 renders %d Deployments, want none", n)
	}
	var sts statefulSet
	one(t, objs, "StatefulSet", &sts)
	if sts.Spec.Replicas != 4 || sts.Spec.PodManagementPolicy != "Parallel" {
		t.Errorf("StatefulSet replicas %d, podManagementPolicy %q: want 4, Parallel", sts.Spec.Replicas, sts.Spec.PodManagementPolicy)
	}
	podLabels := sts.Spec.Template.Metadata.Labels
	if !sts.Spec.Selector.selects(podLabels) {
		t.Errorf("StatefulSet selector %+v does not select its pods' labels %v", sts.Spec.Selector, podLabels)
	}
	checkShardPods(t, objs, sts)
	checkHeadless(t, objs, sts)
	checkShardsScrapedOnce(t, objs, podLabels)
}

// checkShardPods: the shards' pod template is the Deployment's for the
// same values plus the shard flags, and each pod's name gives the index
// of its ordinal.
func checkShardPods(t *testing.T, objs map[string][]object, sts statefulSet) {
	t.Helper()
	got := podTemplate(t, objs, "StatefulSet")
	want := podTemplate(t, render(t, podValues...), "Deployment")
	c := want["spec"].(map[string]any)["containers"].([]any)[0].(map[string]any)
	for _, a := range shardArgs(4) {
		c["args"] = append(c["args"].([]any), a)
	}
	if !reflect.DeepEqual(got, want) {
		g, _ := yaml.Marshal(got)
		w, _ := yaml.Marshal(want)
		t.Errorf("the shards' pod template is not the Deployment's plus %q:\n%s\nwant\n%s", shardArgs(4), g, w)
	}
	for i := range sts.Spec.Replicas {
		pod := fmt.Sprintf("%s-%d", sts.Metadata.Name, i)
		if idx, err := shard.IndexFromHostname(pod); err != nil || idx != i {
			t.Errorf("pod %s: --shard.index-from-hostname reads %d, %v; want %d", pod, idx, err, i)
		}
	}
}

// checkHeadless: the StatefulSet's serviceName is a rendered headless
// Service in front of its pods.
func checkHeadless(t *testing.T, objs map[string][]object, sts statefulSet) {
	t.Helper()
	i := slices.IndexFunc(services(t, objs), func(s service) bool { return s.Metadata.Name == sts.Spec.ServiceName })
	if i < 0 {
		t.Fatalf("StatefulSet serviceName %q: no such Service rendered", sts.Spec.ServiceName)
	}
	h := services(t, objs)[i]
	if h.Spec.ClusterIP != "None" || !servesPods(h.Spec.Selector, sts.Spec.Template.Metadata.Labels) {
		t.Errorf("Service %s: clusterIP %q, selector %v; want headless, selecting the shards' pods %v",
			h.Metadata.Name, h.Spec.ClusterIP, h.Spec.Selector, sts.Spec.Template.Metadata.Labels)
	}
}

// checkShardsScrapedOnce: the one ServiceMonitor selects exactly one
// Service in its namespace, that Service selects every shard's pod, and it
// has the endpoint's port: each shard is one target.
func checkShardsScrapedOnce(t *testing.T, objs map[string][]object, podLabels map[string]string) {
	t.Helper()
	var sm struct {
		Spec struct {
			Selector          labelSelector `json:"selector"`
			NamespaceSelector struct {
				MatchNames []string `json:"matchNames"`
			} `json:"namespaceSelector"`
			Endpoints []struct {
				Port string `json:"port"`
			} `json:"endpoints"`
		} `json:"spec"`
	}
	one(t, objs, "ServiceMonitor", &sm)
	var picked []service
	for _, s := range services(t, objs) {
		if slices.Contains(sm.Spec.NamespaceSelector.MatchNames, s.Metadata.Namespace) && sm.Spec.Selector.selects(s.Metadata.Labels) {
			picked = append(picked, s)
		}
	}
	if len(picked) != 1 {
		t.Fatalf("the ServiceMonitor selects %d Services, want exactly 1 (more scrape each shard more than once)", len(picked))
	}
	s := picked[0]
	if !servesPods(s.Spec.Selector, podLabels) {
		t.Errorf("Service %s selects %v, not the shards' pods %v", s.Metadata.Name, s.Spec.Selector, podLabels)
	}
	if len(sm.Spec.Endpoints) != 1 || !slices.Contains(s.Spec.Ports, servicePort{sm.Spec.Endpoints[0].Port}) {
		t.Errorf("ServiceMonitor endpoints %+v: want one, on a port of Service %s (%+v)", sm.Spec.Endpoints, s.Metadata.Name, s.Spec.Ports)
	}
}

// TestHelmChartShardsLongName: with the longest name the chart allows, the
// StatefulSet's name leaves room for its pods' controller-revision-hash
// label (52 characters) and the headless Service's fits a DNS label.
func TestHelmChartShardsLongName(t *testing.T) {
	needHelm(t)
	objs := render(t, "shards=2", "fullnameOverride="+strings.Repeat("x", 70))
	var sts statefulSet
	one(t, objs, "StatefulSet", &sts)
	if n := len(sts.Metadata.Name); n > 52 {
		t.Errorf("StatefulSet name of %d characters, want at most 52", n)
	}
	if n := len(sts.Spec.ServiceName); n > 63 || n == 0 {
		t.Errorf("headless Service name %q: %d characters, want 1 to 63", sts.Spec.ServiceName, n)
	}
}

// TestHelmChartShardsRejects: values that would leave a share unserved or
// served twice fail the render with a message naming them.
func TestHelmChartShardsRejects(t *testing.T) {
	needHelm(t)
	for _, c := range []struct {
		sets []string
		want string
	}{
		{[]string{"shards=0"}, "shards must be at least 1"},
		{[]string{"shards=-3"}, "shards must be at least 1"},
		{[]string{"shards=4", "replicaCount=2"}, "replicaCount"},
		{[]string{"shards=4", "extraArgs={--shard.index=1}"}, "--shard.index=1"},
		{[]string{"shards=4", "extraArgs={--collect.interval=30s,--shard.count=8}"}, "--shard.count=8"},
	} {
		args := []string{"template", "rmq", filepath.Join(root, "deploy", chartDir)}
		for _, s := range c.sets {
			args = append(args, "--set", s)
		}
		_, err := helm(t, args...)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("--set %q: err %v, want a failure naming %s", c.sets, err, c.want)
		}
	}
}
