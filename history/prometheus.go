package history

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/prometheus/client_golang/api"
	v1 "github.com/prometheus/client_golang/api/prometheus/v1"
	"github.com/prometheus/common/config"
	"github.com/prometheus/common/model"
)

// The families read back, one per topic and one per group (see the package
// doc for why these two).
const (
	TopicFamily = "rocketmq_topic_info"
	GroupFamily = "rocketmq_consumer_group_info"
	// PairFamily is served for every (group, topic) pair with committed
	// offsets in the broker's consume stats.
	PairFamily = "rocketmq_consumer_group_lag_messages"
)

// Defaults of PrometheusConfig.
const (
	DefaultWindow  = 7 * 24 * time.Hour
	DefaultTimeout = 30 * time.Second
)

// PrometheusConfig says where the history is and how far back to read it.
type PrometheusConfig struct {
	// URL is the Prometheus base URL (http://host:9090, or with a path
	// prefix). Basic-auth credentials may be given in it (user:pass@host).
	URL string
	// Window is how far back Recall reads; DefaultWindow when 0. Names older
	// than the server's retention are gone whatever the window.
	Window time.Duration
	// Selector narrows the series read, as label matchers without braces:
	// `job="rocketmq"`. Without it, every exporter's series on that server
	// count, which is wrong when several exporters watch clusters with the
	// same cluster and broker names.
	Selector string
	// Timeout bounds one Recall on top of the caller's context;
	// DefaultTimeout when 0.
	Timeout time.Duration
	// HTTP configures the client (TLS, bearer token, basic auth, proxy);
	// config.DefaultHTTPClientConfig when nil. Ignored when Client is set.
	HTTP *config.HTTPClientConfig
	// Client, when set, is used as is.
	Client *http.Client
	// Logger receives the server's warnings (a partial answer, for
	// instance); nil: discarded.
	Logger *slog.Logger
}

// Prometheus recalls names from the series a Prometheus server holds.
type Prometheus struct {
	api      v1.API
	url      string // redacted, for errors
	window   time.Duration
	timeout  time.Duration
	matches  []string
	selector string
	logger   *slog.Logger
}

// NewPrometheus checks cfg and builds the source; it does not contact the
// server.
func NewPrometheus(cfg PrometheusConfig) (*Prometheus, error) {
	u, err := url.Parse(cfg.URL)
	if err != nil {
		return nil, fmt.Errorf("history URL: %w", err)
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("history URL %q: want http(s)://host[:port][/prefix]", u.Redacted())
	}
	if cfg.Window < 0 || cfg.Timeout < 0 {
		return nil, errors.New("history window and timeout must not be negative")
	}
	ms, err := parseSelector(cfg.Selector)
	if err != nil {
		return nil, fmt.Errorf("history selector %q: %w", cfg.Selector, err)
	}
	client, err := httpClient(cfg)
	if err != nil {
		return nil, err
	}
	c, err := api.NewClient(api.Config{Address: cfg.URL, Client: client})
	if err != nil {
		return nil, fmt.Errorf("history URL %q: %w", u.Redacted(), err)
	}
	p := &Prometheus{api: v1.NewAPI(c), url: u.Redacted(), window: cfg.Window, timeout: cfg.Timeout, logger: cfg.Logger}
	if p.window == 0 {
		p.window = DefaultWindow
	}
	if p.timeout == 0 {
		p.timeout = DefaultTimeout
	}
	if p.logger == nil {
		p.logger = slog.New(slog.DiscardHandler)
	}
	parts := make([]string, len(ms))
	for i, m := range ms {
		parts[i] = m.String()
	}
	p.selector = strings.Join(parts, ", ")
	for _, family := range []string{TopicFamily, GroupFamily, PairFamily} {
		p.matches = append(p.matches, family+"{"+p.selector+"}")
	}
	return p, nil
}

func httpClient(cfg PrometheusConfig) (*http.Client, error) {
	if cfg.Client != nil {
		return cfg.Client, nil
	}
	hc := config.DefaultHTTPClientConfig
	if cfg.HTTP != nil {
		hc = *cfg.HTTP
	}
	rt, err := config.NewRoundTripperFromConfig(hc, "rocketmq_exporter_history")
	if err != nil {
		return nil, fmt.Errorf("history HTTP client: %w", err)
	}
	return &http.Client{Transport: rt}, nil
}

// Window is how far back Recall reads.
func (p *Prometheus) Window() time.Duration { return p.window }

// Matches are the series selectors Recall sends.
func (p *Prometheus) Matches() []string { return p.matches }

// Recall reads, in one request, every series of the two families within
// [now-window, now] and returns their names per broker. Series without a
// cluster, broker, or topic/group label are skipped: they are not this
// exporter's.
func (p *Prometheus) Recall(ctx context.Context) (map[Broker]Names, error) {
	ctx, cancel := context.WithTimeout(ctx, p.timeout)
	defer cancel()
	end := time.Now()
	sets, warnings, _, err := p.api.Series(ctx, p.matches, end.Add(-p.window), end)
	if err != nil {
		return nil, fmt.Errorf("history from Prometheus %s: %w", p.url, err)
	}
	for _, w := range warnings {
		p.logger.Warn("history: Prometheus warned; the recall may be incomplete", "url", p.url, "warning", w)
	}
	return namesOf(sets), nil
}

// namesOf groups series label sets by broker.
func namesOf(sets []model.LabelSet) map[Broker]Names {
	out := map[Broker]Names{}
	for _, ls := range sets {
		b := Broker{Target: string(ls["target"]), Cluster: string(ls["cluster"]), Broker: string(ls["broker"])}
		if b.Cluster == "" || b.Broker == "" {
			continue
		}
		n := out[b]
		switch ls[model.MetricNameLabel] {
		case TopicFamily:
			if t := string(ls["topic"]); t != "" {
				n.Topics = append(n.Topics, t)
			}
		case GroupFamily:
			if g := string(ls["group"]); g != "" {
				n.Groups = append(n.Groups, g)
			}
		case PairFamily:
			n.Pairs = append(n.Pairs, Pair{Topic: string(ls["topic"]), Group: string(ls["group"])})
		}
		out[b] = n
	}
	for b, n := range out {
		if len(n.Topics) == 0 && len(n.Groups) == 0 && len(n.Pairs) == 0 {
			delete(out, b)
			continue
		}
		out[b] = Names{Topics: sortUnique(n.Topics), Groups: sortUnique(n.Groups), Pairs: sortPairs(n.Pairs)}
	}
	return out
}
