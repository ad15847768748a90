package app

import (
	"context"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/rocketmq-exporter/rocketmq_exporter/admin"
	"github.com/rocketmq-exporter/rocketmq_exporter/remoting"
	"github.com/rocketmq-exporter/rocketmq_exporter/remoting/remotingtest"
)

// replayGroups serves a version's recording with the answers of its
// groups/ recording (e2e TestOnlyConsumerGroupsServed: producers, a push
// consumer, a consumer failing into its DLQ, a POP consumer on 5.x and a
// transactional producer, all at work) in place of the base ones.
func replayGroups(t *testing.T, dir string) string {
	t.Helper()
	return remotingtest.Serve(t, func(req *remoting.Command, self string) *remoting.Command {
		name := remoting.RequestName(req.Code) + ".json"
		body, err := os.ReadFile(filepath.Join(dir, "groups", name))
		if err != nil {
			body, err = os.ReadFile(filepath.Join(dir, name))
		}
		switch {
		case err != nil:
			return &remoting.Command{Code: remoting.CodeRequestCodeNotSupported, Remark: "not recorded"}
		case req.Code == remoting.GetBrokerClusterInfo:
			return &remoting.Command{Body: recordedAddr.ReplaceAll(body, []byte(self))}
		}
		return &remoting.Command{Body: body}
	})
}

// recordedGroups reads, from a recording, the consumer groups of its
// subscription config and the producer groups.
func recordedGroups(t *testing.T, addr string) (consumers, producers []string) {
	t.Helper()
	rc := remoting.NewClient(remoting.Options{})
	defer rc.Close()
	a := admin.New(rc)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	sg, err := a.AllSubscriptionGroups(ctx, addr)
	if err != nil {
		t.Fatal(err)
	}
	for g := range sg.SubscriptionGroupTable {
		consumers = append(consumers, g)
	}
	pt, err := a.AllProducerInfo(ctx, addr)
	if err != nil {
		t.Fatal(err)
	}
	for g := range pt.Data {
		producers = append(producers, g)
	}
	return consumers, producers
}

// TestRecordedGroupsServed runs the exporter against the groups/
// recordings of each version. The broker's own groups are those of the
// base recording, whose one application group was deleted before it
// ended: a fresh broker's. Every group label must name one of the
// applications' groups of the recorded config (producer families: a
// recorded producer group): never the topic 5.3.3's
// QUERY_TOPIC_CONSUME_BY_WHO lists as a group, a retry topic, a producer
// group or one of the broker's own groups; those are counted apart; and
// the broker's own offsets (the POP revive service's, the transaction
// check's) are no orphans.
func TestRecordedGroupsServed(t *testing.T) {
	dirs, _ := filepath.Glob(filepath.Join("..", "testdata", "fixtures", "*", "groups"))
	if len(dirs) == 0 {
		t.Fatal("no groups/ recordings under testdata/fixtures")
	}
	for _, dir := range dirs {
		dir = filepath.Dir(dir)
		t.Run(filepath.Base(dir), func(t *testing.T) {
			own, _ := recordedGroups(t, replayBroker(t, dir))
			addr := replayGroups(t, dir)
			all, producers := recordedGroups(t, addr)
			business := slices.DeleteFunc(all, func(g string) bool { return slices.Contains(own, g) })
			m := scrapeOnce(t, addr)
			for kind, want := range map[string]int{"system": len(own), "business": len(business)} {
				if got, ok := value(m, "rocketmq_broker_consumer_groups", "kind", kind); !ok || got != float64(want) {
					t.Errorf("rocketmq_broker_consumer_groups{kind=%q} = %v (served: %v), want %d", kind, got, ok, want)
				}
			}
			for name, mf := range m {
				allowed := business
				if strings.HasPrefix(name, "rocketmq_producer_") {
					allowed = producers
				}
				for _, s := range mf.Metric {
					if g, ok := label(s, "group"); ok && !slices.Contains(allowed, g) {
						t.Errorf("%s serves group %q, not among %v", name, g, allowed)
					}
				}
			}
			if got, ok := value(m, "rocketmq_broker_orphaned_consumer_offsets", "", ""); !ok || got != 0 {
				t.Errorf("rocketmq_broker_orphaned_consumer_offsets = %v (served: %v), want 0: nothing was deleted", got, ok)
			}
		})
	}
}

// scrapeOnce runs one cycle of a default exporter against addr.
func scrapeOnce(t *testing.T, addr string) map[string]*dto.MetricFamily {
	t.Helper()
	s := Defaults()
	s.Namesrvs = []string{addr}
	s.Timeout = 2 * time.Second
	a, err := New(s, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	a.Cycle(context.Background())
	rr := httptest.NewRecorder()
	a.Handler.ServeHTTP(rr, httptest.NewRequest("GET", "/metrics", nil))
	p := expfmt.NewTextParser(model.UTF8Validation)
	m, err := p.TextToMetricFamilies(rr.Body)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func label(s *dto.Metric, name string) (string, bool) {
	for _, lp := range s.Label {
		if lp.GetName() == name {
			return lp.GetValue(), true
		}
	}
	return "", false
}

// value is the one series of family whose label is v ("" for any).
func value(m map[string]*dto.MetricFamily, family, l, v string) (float64, bool) {
	mf := m[family]
	if mf == nil {
		return 0, false
	}
	var out []float64
	for _, s := range mf.Metric {
		if got, _ := label(s, l); l == "" || got == v {
			out = append(out, s.GetGauge().GetValue())
		}
	}
	if len(out) != 1 {
		return 0, false
	}
	return out[0], true
}
