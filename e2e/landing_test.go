package e2e

import (
	"bytes"
	"context"
	"html"
	"image"
	"image/png"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/prometheus/common/version"

	"github.com/rocketmq-exporter/rocketmq_exporter/internal/testtool"
)

// chromium runs headless Chromium with args plus the flags that keep it
// quiet and offline, in its own process group (its helpers included), and
// returns its stdout.
func chromium(t *testing.T, bin string, args ...string) []byte {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	argv := append([]string{
		"--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-quic",
		"--no-first-run", "--no-default-browser-check", "--disable-background-networking",
		"--disable-component-update", "--disable-sync", "--disable-extensions", "--hide-scrollbars",
		"--user-data-dir=" + t.TempDir(),
	}, args...)
	cmd := exec.CommandContext(ctx, bin, argv...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = 10 * time.Second
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Start(); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	err := cmd.Wait()
	// Helpers such as the crash handler may outlive the browser.
	_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	if err != nil {
		t.Fatalf("chromium %s: %v\n%s", strings.Join(args, " "), err, tail(stderr.String(), 30))
	}
	return stdout.Bytes()
}

// TestLandingPageInChromium serves the exporter on a loopback port after a
// couple of cycles against the real broker, loads the landing page in
// headless Chromium and checks what it renders: the version, the links,
// and the broker's row with what the collection found.
func TestLandingPageInChromium(t *testing.T) {
	needBroker(t)
	bin := testtool.Need(t, "Debian: apt-get install chromium", "chromium", "chromium-browser")
	const testVersion = "9.8.7-e2e"
	old := version.Version
	version.Version = testVersion // what -ldflags -X sets in a release build
	t.Cleanup(func() { version.Version = old })

	a, _ := newApp(t, nil, cluster.NamesrvAddr)
	brokerUp := map[string]string{"cluster": cluster.ClusterName, "broker": cluster.BrokerName, "broker_id": "0"}
	waitMetrics(t, a, time.Minute, "broker up", func(m Metrics) error {
		return expect(m, "rocketmq_up", brokerUp, 1)
	})
	a.Cycle(context.Background()) // a second cycle: tracker and prober have a previous one

	srv := httptest.NewServer(a.Handler)
	defer srv.Close()
	m, err := ScrapeURL(srv.Client(), srv.URL+"/metrics") // the page reports the last scrape's series
	if err != nil {
		t.Fatal(err)
	}
	served := 0
	for _, mf := range m {
		served += len(mf.Metric)
	}

	dom := string(chromium(t, bin, "--dump-dom", srv.URL+"/"))
	if !strings.Contains(dom, "</html>") {
		t.Fatalf("chromium dumped no page:\n%s", dom)
	}

	if got := domText(match1(dom, `<code id="version">(.*?)</code>`)); got != testVersion {
		t.Errorf("version shown %q, want %q", got, testVersion)
	}
	for _, path := range []string{"/metrics", "/healthz", "/readyz"} {
		if !strings.Contains(dom, `href=".`+path+`"`) {
			t.Errorf("no link to %s", path)
			continue
		}
		resp, err := srv.Client().Get(srv.URL + path)
		if err != nil {
			t.Errorf("following the link to %s: %v", path, err)
			continue
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Errorf("the link to %s answers %s", path, resp.Status)
		}
	}

	if !regexp.MustCompile(`^#[0-9]+ finished [0-9]+s ago in [0-9]+ ms$`).MatchString(domText(match1(dom, `(?s)<td id="status">(.*?)</td>`))) {
		t.Errorf("collection status: %q", domText(match1(dom, `(?s)<td id="status">(.*?)</td>`)))
	}
	series, err := strconv.Atoi(domText(match1(dom, `<span id="series">(.*?)</span>`)))
	if err != nil || series <= 0 {
		t.Errorf("series served = %d (%v), want > 0", series, err)
	}
	// The collector counts the RocketMQ families only; the scrape also has
	// the exporter's own (Go runtime, process, RPC statistics).
	if series > served {
		t.Errorf("series served shown %d, but the scrape had only %d", series, served)
	}
	removed := map[string]string{}
	for _, c := range regexp.MustCompile(`(?s)<td[^>]*data-kind="(\w+)"[^>]*>(.*?)</td>`).FindAllStringSubmatch(dom, -1) {
		removed[c[1]] = domText(c[2])
	}
	for _, kind := range []string{"cluster", "broker", "topic", "group", "client"} {
		if _, err := strconv.Atoi(removed[kind]); err != nil {
			t.Errorf("series removed of kind %s = %q, want a count", kind, removed[kind])
		}
	}

	for _, h := range []string{"Cluster", "Broker", "Address", "Role", "State", "Version", "Last successful collection",
		"Cycle duration", "Leaked stat items"} {
		if !strings.Contains(dom, "<th>"+h+"</th>") {
			t.Errorf("broker table has no %q column", h)
		}
	}
	rows := domBrokerRows(dom)
	if len(rows) != 1 {
		t.Fatalf("%d broker rows, want 1 (one broker): %v", len(rows), rows)
	}
	row := rows[0]
	for k, want := range map[string]string{
		"cluster": cluster.ClusterName, "name": cluster.BrokerName, "addr": cluster.BrokerAddr,
		"role": "master", "state": "up", "data-state": "up", "error": "",
	} {
		if row[k] != want {
			t.Errorf("broker row: %s = %q, want %q", k, row[k], want)
		}
	}
	wantVersion := "V" + strings.NewReplacer(".", "_").Replace(cluster.Version)
	if v := row["version"]; v != wantVersion && (!cluster.External || !regexp.MustCompile(`^V[0-9]+_[0-9]+_[0-9]+`).MatchString(v)) {
		t.Errorf("broker version = %q, want %q", v, wantVersion)
	}
	if ls := row["last-success"]; !regexp.MustCompile(`^([0-9]+m)?[0-9]+s ago$`).MatchString(ls) {
		t.Errorf("last successful collection = %q, want a recent time", ls)
	}
	if d := row["duration"]; !regexp.MustCompile(`^[0-9]+ ms$`).MatchString(d) {
		t.Errorf("cycle duration = %q", d)
	}
	if n, err := strconv.Atoi(row["topics"]); err != nil || n == 0 {
		t.Errorf("topics = %q, want the broker's count", row["topics"])
	}
	if _, err := strconv.Atoi(row["leaked"]); err != nil {
		t.Errorf("leaked stat items = %q, want a count (leak probing is on by default)", row["leaked"])
	}

	shot := filepath.Join(t.TempDir(), "landing.png")
	chromium(t, bin, "--window-size=1400,900", "--screenshot="+shot, srv.URL+"/")
	checkScreenshot(t, shot, 1400, 900)
	if dir := os.Getenv("E2E_SCREENSHOT_DIR"); dir != "" { // to look at it
		if data, err := os.ReadFile(shot); err == nil {
			os.WriteFile(filepath.Join(dir, "landing.png"), data, 0o644)
		}
	}
}

// checkScreenshot wants a PNG of the window's size, of some KB, with enough
// colours to be a rendered page rather than a blank one.
func checkScreenshot(t *testing.T, path string, w, h int) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("no screenshot: %v", err)
	}
	if len(data) < 8<<10 {
		t.Errorf("screenshot is only %d bytes", len(data))
	}
	img, err := png.Decode(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("screenshot is not a PNG: %v", err)
	}
	if b := img.Bounds(); b.Dx() != w || b.Dy() != h {
		t.Errorf("screenshot is %dx%d, want %dx%d", b.Dx(), b.Dy(), w, h)
	}
	if n := colours(img, 64); n < 8 {
		t.Errorf("screenshot has %d colours: a blank page?", n)
	}
}

// colours counts the distinct colours of img, up to limit.
func colours(img image.Image, limit int) int {
	seen := map[[4]uint32]bool{}
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			r, g, bl, a := img.At(x, y).RGBA()
			seen[[4]uint32{r, g, bl, a}] = true
			if len(seen) >= limit {
				return len(seen)
			}
		}
	}
	return len(seen)
}

var (
	domTagRE   = regexp.MustCompile(`<[^>]*>`)
	domSpaceRE = regexp.MustCompile(`\s+`)
	domRowRE   = regexp.MustCompile(`(?s)<tr class="broker"([^>]*)>(.*?)</tr>`)
	domAttrRE  = regexp.MustCompile(`([\w-]+)="([^"]*)"`)
	domCellRE  = regexp.MustCompile(`(?s)<td class="([\w-]+)[^"]*"[^>]*>(.*?)</td>`)
)

// domText is the visible text of an HTML fragment.
func domText(s string) string {
	return strings.TrimSpace(domSpaceRE.ReplaceAllString(html.UnescapeString(domTagRE.ReplaceAllString(s, "")), " "))
}

func match1(s, re string) string {
	if m := regexp.MustCompile(re).FindStringSubmatch(s); m != nil {
		return m[1]
	}
	return ""
}

// domBrokerRows reads the broker table of the landing page: per row its
// attributes and the text of each cell, keyed by the cell's first class.
func domBrokerRows(dom string) []map[string]string {
	var rows []map[string]string
	for _, m := range domRowRE.FindAllStringSubmatch(dom, -1) {
		row := map[string]string{}
		for _, a := range domAttrRE.FindAllStringSubmatch(m[1], -1) {
			row[a[1]] = html.UnescapeString(a[2])
		}
		for _, c := range domCellRE.FindAllStringSubmatch(m[2], -1) {
			row[c[1]] = domText(c[2])
		}
		rows = append(rows, row)
	}
	return rows
}
