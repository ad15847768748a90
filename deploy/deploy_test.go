package deploy

import (
	"debug/elf"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"

	"github.com/rocketmq-exporter/rocketmq_exporter/internal/testtool"
)

const root = ".."

func read(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(root, name))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// ---- Dockerfile ----

type instruction struct {
	cmd  string // upper case
	args string
}

type stage struct {
	from, name string
	platform   string // FROM --platform=…
	ins        []instruction
}

// parseDockerfile splits a Dockerfile into stages of instructions, with
// line continuations joined and comments dropped.
func parseDockerfile(t *testing.T, text string) []stage {
	t.Helper()
	var stages []stage
	var cur strings.Builder
	flush := func() {
		line := strings.TrimSpace(cur.String())
		cur.Reset()
		if line == "" {
			return
		}
		cmd, args, _ := strings.Cut(line, " ")
		cmd = strings.ToUpper(cmd)
		args = strings.TrimSpace(args)
		if cmd == "FROM" {
			f := strings.Fields(args)
			var s stage
			for len(f) > 0 && strings.HasPrefix(f[0], "--") {
				if v, ok := strings.CutPrefix(f[0], "--platform="); ok {
					s.platform = normalize(v)
				}
				f = f[1:]
			}
			if len(f) == 0 {
				t.Fatalf("Dockerfile: FROM %s names no image", args)
			}
			s.from = f[0]
			if len(f) == 3 && strings.EqualFold(f[1], "AS") {
				s.name = f[2]
			}
			stages = append(stages, s)
			return
		}
		if cmd == "ARG" && len(stages) == 0 {
			return // global ARG
		}
		if len(stages) == 0 {
			t.Fatalf("Dockerfile: %s before FROM", cmd)
		}
		stages[len(stages)-1].ins = append(stages[len(stages)-1].ins, instruction{cmd, args})
	}
	for _, line := range strings.Split(text, "\n") {
		if strings.HasPrefix(strings.TrimSpace(line), "#") {
			continue
		}
		if strings.HasSuffix(line, "\\") {
			cur.WriteString(strings.TrimSuffix(line, "\\") + " ")
			continue
		}
		cur.WriteString(line)
		flush()
	}
	flush()
	return stages
}

// shellWords splits a command line as sh would, for the quoting this
// repository uses: '…' literal, "…" with ${VAR}/$(VAR) left in place.
func shellWords(t *testing.T, s string) []string {
	t.Helper()
	var words []string
	var w strings.Builder
	in := false
	var quote byte
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case quote != 0:
			if c == quote {
				quote = 0
			} else {
				w.WriteByte(c)
			}
		case c == '\'' || c == '"':
			quote, in = c, true
		case c == ' ' || c == '\t':
			if in {
				words = append(words, w.String())
				w.Reset()
				in = false
			}
		default:
			w.WriteByte(c)
			in = true
		}
	}
	if quote != 0 {
		t.Fatalf("unclosed quote in %q", s)
	}
	if in {
		words = append(words, w.String())
	}
	return words
}

var varRef = regexp.MustCompile(`\$[({]([A-Za-z_][A-Za-z0-9_]*)[)}]`)

// normalize writes every $(VAR) and ${VAR} as $VAR.
func normalize(s string) string { return varRef.ReplaceAllString(s, "$$$1") }

// goBuild is a `go build` command line: env, flags, package, output.
type goBuild struct {
	env     []string
	flags   []string // in order, -ldflags value normalised and split
	pkg     string
	output  string
	ldflags string // raw
}

func parseGoBuild(t *testing.T, words []string, vars map[string]string) goBuild {
	t.Helper()
	var b goBuild
	i := 0
	for ; i < len(words) && strings.Contains(words[i], "="); i++ {
		b.env = append(b.env, words[i])
	}
	if i+1 >= len(words) || (words[i] != "go" && words[i] != "$(GO)") || words[i+1] != "build" {
		t.Fatalf("not a go build command: %q", words)
	}
	for i += 2; i < len(words); i++ {
		switch w := words[i]; {
		case w == "-o":
			i++
			b.output = words[i]
		case w == "-ldflags":
			i++
			v := words[i]
			for k, val := range vars {
				v = strings.ReplaceAll(v, "$("+k+")", val)
			}
			b.ldflags = v
			b.flags = append(b.flags, "-ldflags="+strings.Join(strings.Fields(normalize(v)), " "))
		case strings.HasPrefix(w, "-"):
			b.flags = append(b.flags, w)
		default:
			b.pkg = w
		}
	}
	return b
}

// makefile returns the build target's go build command, with $(LDFLAGS)
// expanded from the Makefile.
func makefileBuild(t *testing.T) goBuild {
	mk := strings.ReplaceAll(read(t, "Makefile"), "\\\n", " ")
	m := regexp.MustCompile(`(?m)^LDFLAGS\s*:=\s*(.*)$`).FindStringSubmatch(mk)
	if m == nil {
		t.Fatal("Makefile: no LDFLAGS")
	}
	ld := strings.Join(strings.Fields(m[1]), " ")
	r := regexp.MustCompile(`(?m)^build:.*\n\t(.*)$`).FindStringSubmatch(mk)
	if r == nil {
		t.Fatal("Makefile: no build target")
	}
	return parseGoBuild(t, shellWords(t, r[1]), map[string]string{"LDFLAGS": ld})
}

func dockerBuild(t *testing.T, stages []stage) (goBuild, stage) {
	for _, s := range stages[:len(stages)-1] {
		for _, in := range s.ins {
			if in.cmd == "RUN" && strings.Contains(in.args, "go build") {
				return parseGoBuild(t, shellWords(t, in.args), nil), s
			}
		}
	}
	t.Fatal("Dockerfile: no RUN ... go build in a build stage")
	return goBuild{}, stage{}
}

// TestDockerfileBuildsLikeMakefile: the Dockerfile's go build has the
// Makefile's env, flags (-ldflags included) and package, on the Go version
// of go.mod.
func TestDockerfileBuildsLikeMakefile(t *testing.T) {
	stages := parseDockerfile(t, read(t, "Dockerfile"))
	if len(stages) < 2 {
		t.Fatalf("want a multi-stage build, got %d stage(s)", len(stages))
	}
	mk := makefileBuild(t)
	dk, build := dockerBuild(t, stages)
	env, target := splitTarget(dk.env)
	if !slices.Equal(mk.env, env) || !slices.Contains(env, "CGO_ENABLED=0") {
		t.Errorf("env: Dockerfile %v, Makefile %v (want CGO_ENABLED=0 in both)", env, mk.env)
	}
	checkCrossBuild(t, stages, build, target)
	if !slices.Equal(mk.flags, dk.flags) {
		t.Errorf("build flags differ:\n Dockerfile %q\n Makefile   %q", dk.flags, mk.flags)
	}
	if !slices.Contains(dk.flags, "-trimpath") {
		t.Errorf("no -trimpath: %q", dk.flags)
	}
	if mk.pkg != dk.pkg || dk.pkg != "./cmd/exporter" {
		t.Errorf("package: Dockerfile %q, Makefile %q", dk.pkg, mk.pkg)
	}
	// The ARGs the -ldflags and the env use are declared in the stage.
	for _, m := range varRef.FindAllStringSubmatch(dk.ldflags+" "+strings.Join(dk.env, " "), -1) {
		if !slices.ContainsFunc(build.ins, func(in instruction) bool {
			return in.cmd == "ARG" && strings.HasPrefix(in.args+"=", m[1]+"=")
		}) {
			t.Errorf("Dockerfile: go build uses ${%s}, which the build stage does not declare with ARG", m[1])
		}
	}
	gomod := regexp.MustCompile(`(?m)^go (\d+\.\d+)`).FindStringSubmatch(read(t, "go.mod"))
	if gomod == nil || build.from != "golang:"+gomod[1] {
		t.Errorf("build stage FROM %s, want golang:%s (go.mod)", build.from, gomod)
	}
}

// splitTarget separates GOOS=/GOARCH= from the rest of a build's env.
func splitTarget(env []string) (rest, target []string) {
	for _, e := range env {
		if strings.HasPrefix(e, "GOOS=") || strings.HasPrefix(e, "GOARCH=") {
			target = append(target, normalize(e))
		} else {
			rest = append(rest, e)
		}
	}
	return rest, target
}

// checkCrossBuild: the build stage runs on the build platform and
// compiles for the target platform BuildKit names (no emulation); the
// final stage is the target platform's.
func checkCrossBuild(t *testing.T, stages []stage, build stage, target []string) {
	t.Helper()
	if build.platform != "$BUILDPLATFORM" {
		t.Errorf("build stage FROM --platform=%q, want --platform=$BUILDPLATFORM", build.platform)
	}
	if final := stages[len(stages)-1]; final.platform != "" {
		t.Errorf("final stage FROM --platform=%s: it must be the target platform's", final.platform)
	}
	if !slices.Equal(target, []string{"GOOS=$TARGETOS", "GOARCH=$TARGETARCH"}) {
		t.Errorf("go build env %v, want GOOS=${TARGETOS} GOARCH=${TARGETARCH}", target)
	}
}

// TestDockerfileLabels: the image carries the OCI labels, its version and
// revision from the same build args the binary is stamped with, its source
// the module's repository and its licence that of LICENSE.
func TestDockerfileLabels(t *testing.T) {
	stages := parseDockerfile(t, read(t, "Dockerfile"))
	final := stages[len(stages)-1]
	labels := map[string]string{}
	args := map[string]bool{}
	for _, in := range final.ins {
		switch in.cmd {
		case "LABEL":
			for _, w := range shellWords(t, in.args) {
				k, v, _ := strings.Cut(w, "=")
				labels[k] = normalize(v)
			}
		case "ARG":
			name, _, _ := strings.Cut(in.args, "=")
			args[name] = true
		}
	}
	module := regexp.MustCompile(`(?m)^module (\S+)`).FindStringSubmatch(read(t, "go.mod"))
	if module == nil {
		t.Fatal("go.mod: no module line")
	}
	if !strings.HasPrefix(read(t, "LICENSE"), "                                 Apache License\n                           Version 2.0") {
		t.Error("LICENSE is not the Apache License 2.0 the licenses label names")
	}
	want := map[string]string{
		"org.opencontainers.image.version":  "$VERSION",
		"org.opencontainers.image.revision": "$REVISION",
		"org.opencontainers.image.source":   "https://" + module[1],
		"org.opencontainers.image.licenses": "Apache-2.0",
	}
	for k, v := range want {
		if labels[k] != v {
			t.Errorf("LABEL %s=%q, want %q", k, labels[k], v)
		}
	}
	for _, k := range []string{"org.opencontainers.image.title", "org.opencontainers.image.description"} {
		if labels[k] == "" {
			t.Errorf("no LABEL %s", k)
		}
	}
	for _, a := range []string{"VERSION", "REVISION"} {
		if !args[a] {
			t.Errorf("final stage uses $%s in a LABEL without declaring ARG %s (ARGs are per stage)", a, a)
		}
	}
}

// TestReadmeDockerBuildPassesVersion: the README's docker build line
// stamps the version, with build args the Dockerfile declares.
func TestReadmeDockerBuildPassesVersion(t *testing.T) {
	readme := strings.ReplaceAll(read(t, "README.md"), "\\\n", " ")
	declared := read(t, "Dockerfile")
	found := false
	for _, l := range strings.Split(readme, "\n") {
		if !strings.HasPrefix(strings.TrimSpace(l), "docker build ") {
			continue
		}
		found = true
		if !strings.Contains(l, "--build-arg VERSION=") {
			t.Errorf("README: %q does not pass --build-arg VERSION=", strings.TrimSpace(l))
		}
		for _, m := range regexp.MustCompile(`--build-arg (\w+)=`).FindAllStringSubmatch(l, -1) {
			if !regexp.MustCompile(`(?m)^ARG ` + m[1] + `\b`).MatchString(declared) {
				t.Errorf("README passes --build-arg %s, which the Dockerfile does not declare", m[1])
			}
		}
	}
	if !found {
		t.Error("README: no docker build line")
	}
}

// TestDockerfileFinalStage: the image has only the binary and CA
// certificates, runs as a non-root user, exposes 5557 and starts the binary.
func TestDockerfileFinalStage(t *testing.T) {
	stages := parseDockerfile(t, read(t, "Dockerfile"))
	dk, build := dockerBuild(t, stages)
	final := stages[len(stages)-1]
	if final.from != "scratch" && !strings.HasPrefix(final.from, "gcr.io/distroless/static") {
		t.Errorf("final stage FROM %s, want scratch or distroless static", final.from)
	}
	var copies [][2]string
	var user, expose string
	var entrypoint []string
	for _, in := range final.ins {
		switch in.cmd {
		case "COPY":
			w := strings.Fields(in.args)
			if len(w) != 3 || w[0] != "--from="+build.name {
				t.Errorf("final stage: COPY %s (want COPY --from=%s <one file> <dest>)", in.args, build.name)
				continue
			}
			copies = append(copies, [2]string{w[1], w[2]})
		case "USER":
			user = in.args
		case "EXPOSE":
			expose = in.args
		case "ENTRYPOINT":
			if err := yaml.Unmarshal([]byte(in.args), &entrypoint); err != nil {
				t.Errorf("ENTRYPOINT %s is not exec form: %v", in.args, err)
			}
		case "LABEL", "ENV", "ARG", "WORKDIR", "CMD":
		default:
			t.Errorf("final stage: unexpected %s %s", in.cmd, in.args)
		}
	}
	const ca = "/etc/ssl/certs/ca-certificates.crt"
	var binDest string
	for _, c := range copies {
		switch c[0] {
		case ca:
			if c[1] != ca {
				t.Errorf("CA certificates copied to %s, want %s", c[1], ca)
			}
		case dk.output:
			binDest = c[1]
		default:
			t.Errorf("final stage copies %s: only the binary (%s) and %s belong there", c[0], dk.output, ca)
		}
	}
	if len(copies) != 2 || binDest == "" {
		t.Errorf("final stage copies %v, want the binary and the CA certificates", copies)
	}
	u, _, _ := strings.Cut(user, ":")
	if u == "" || u == "0" || u == "root" {
		t.Errorf("USER %q: want a non-root user", user)
	}
	if expose != "5557" {
		t.Errorf("EXPOSE %q, want 5557", expose)
	}
	if len(entrypoint) == 0 || entrypoint[0] != binDest {
		t.Errorf("ENTRYPOINT %v, want the binary %s", entrypoint, binDest)
	}
}

// dockerignored reports whether rel (slash-separated, from the root) is
// left out of the build context by a .dockerignore pattern.
func dockerignored(patterns []string, rel string) bool {
	ignored := false
	for _, p := range patterns {
		neg := strings.HasPrefix(p, "!")
		p = strings.TrimPrefix(strings.TrimPrefix(p, "!"), "/")
		match := false
		parts := strings.Split(rel, "/")
		for i := 1; i <= len(parts) && !match; i++ {
			prefix := strings.Join(parts[:i], "/")
			if strings.HasPrefix(p, "**/") {
				for j := 0; j < i && !match; j++ {
					match, _ = path.Match(strings.TrimPrefix(p, "**/"), strings.Join(parts[j:i], "/"))
				}
			} else {
				match, _ = path.Match(p, prefix)
			}
		}
		if match {
			ignored = !neg
		}
	}
	return ignored
}

// TestDockerignoreKeepsWhatTheBuildNeeds: no file `go build ./cmd/exporter`
// reads (sources, embedded files, go.mod, go.sum) is ignored.
func TestDockerignoreKeepsWhatTheBuildNeeds(t *testing.T) {
	gobin := testtool.Need(t, "https://go.dev/dl", "go")
	var patterns []string
	for _, l := range strings.Split(read(t, ".dockerignore"), "\n") {
		if l = strings.TrimSpace(l); l != "" && !strings.HasPrefix(l, "#") {
			patterns = append(patterns, l)
		}
	}
	abs, _ := filepath.Abs(root)
	cmd := exec.Command(gobin, "list", "-deps", "-f", `{{if not .Standard}}{{$d := .Dir}}{{range .GoFiles}}{{$d}}/{{.}}
{{end}}{{range .EmbedFiles}}{{$d}}/{{.}}
{{end}}{{end}}`, "./cmd/exporter")
	cmd.Dir = root
	out, err := cmd.Output()
	if err != nil {
		t.Fatal(err)
	}
	files := []string{"go.mod", "go.sum"}
	for _, f := range strings.Fields(string(out)) {
		if rel, err := filepath.Rel(abs, f); err == nil && !strings.HasPrefix(rel, "..") {
			files = append(files, filepath.ToSlash(rel))
		}
	}
	if len(files) < 10 {
		t.Fatalf("only %d files found for the build", len(files))
	}
	for _, f := range files {
		if dockerignored(patterns, f) {
			t.Errorf(".dockerignore leaves out %s, which the build needs", f)
		}
	}
	for _, f := range []string{".git/HEAD", "docs/metrics.md", "collector/testdata/x.json", "rocketmq_exporter", "deploy/service.yaml"} {
		if !dockerignored(patterns, f) {
			t.Errorf(".dockerignore keeps %s in the build context", f)
		}
	}
}

// TestDockerfileBuildLineMakesAStaticBinary runs the Dockerfile's go build
// line itself (as `make static-check` runs the Makefile's): the binary is
// static, as a scratch image needs, and carries the version from -ldflags.
func TestDockerfileBuildLineMakesAStaticBinary(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the exporter")
	}
	gobin := testtool.Need(t, "https://go.dev/dl", "go")
	dk, _ := dockerBuild(t, parseDockerfile(t, read(t, "Dockerfile")))
	vars := map[string]string{"VERSION": "9.8.7-test", "REVISION": "abc123", "BRANCH": "testbranch",
		"TARGETOS": runtime.GOOS, "TARGETARCH": runtime.GOARCH}
	out := runDockerBuildLine(t, gobin, dk, vars)
	f, err := elf.Open(out)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP || p.Type == elf.PT_DYNAMIC {
			t.Errorf("binary has %v: not static, it cannot run on scratch", p.Type)
		}
	}
	// The exit code is not checked: it is the command's business, not the build's.
	v, _ := exec.Command(out, "--version").CombinedOutput()
	if !strings.Contains(string(v), "version 9.8.7-test (branch: testbranch, revision: abc123)") {
		t.Errorf("--version does not show the -ldflags build info:\n%s", v)
	}
	help, _ := exec.Command(out, "--help").CombinedOutput()
	checkDeploymentEnv(t, string(help))
}

// TestDockerfileBuildLineCrossCompiles runs the build line as BuildKit
// does for another platform than the build platform's: the binary is for
// the target's machine.
func TestDockerfileBuildLineCrossCompiles(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the exporter")
	}
	gobin := testtool.Need(t, "https://go.dev/dl", "go")
	arch, machine := "arm64", elf.EM_AARCH64
	if runtime.GOARCH == "arm64" {
		arch, machine = "amd64", elf.EM_X86_64
	}
	dk, _ := dockerBuild(t, parseDockerfile(t, read(t, "Dockerfile")))
	out := runDockerBuildLine(t, gobin, dk, map[string]string{"TARGETOS": "linux", "TARGETARCH": arch})
	f, err := elf.Open(out)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if f.Machine != machine {
		t.Errorf("TARGETARCH=%s built a %v binary", arch, f.Machine)
	}
}

// runDockerBuildLine runs the Dockerfile's go build with the build args
// in vars (unset ones empty, as in docker) and returns the binary's path.
func runDockerBuildLine(t *testing.T, gobin string, dk goBuild, vars map[string]string) string {
	t.Helper()
	expand := func(s string) string {
		return varRef.ReplaceAllStringFunc(s, func(ref string) string { return vars[varRef.FindStringSubmatch(ref)[1]] })
	}
	out := filepath.Join(t.TempDir(), "rocketmq_exporter")
	args := []string{"build"}
	for _, f := range dk.flags {
		if !strings.HasPrefix(f, "-ldflags=") {
			args = append(args, f)
		}
	}
	args = append(args, "-ldflags", expand(dk.ldflags), "-o", out, dk.pkg)
	cmd := exec.Command(gobin, args...)
	cmd.Dir = root
	cmd.Env = os.Environ()
	for _, e := range dk.env {
		cmd.Env = append(cmd.Env, expand(e))
	}
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go %s: %v\n%s", strings.Join(args, " "), err, b)
	}
	return out
}

// ---- Kubernetes ----

type meta struct {
	Name   string            `json:"name"`
	Labels map[string]string `json:"labels"`
}

type deployment struct {
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
	Metadata   meta   `json:"metadata"`
	Spec       struct {
		Selector struct {
			MatchLabels map[string]string `json:"matchLabels"`
		} `json:"selector"`
		Template struct {
			Metadata meta `json:"metadata"`
			Spec     struct {
				SecurityContext struct {
					RunAsNonRoot bool `json:"runAsNonRoot"`
					RunAsUser    int  `json:"runAsUser"`
				} `json:"securityContext"`
				Containers []struct {
					Name  string `json:"name"`
					Image string `json:"image"`
					Args  []string
					Env   []struct {
						Name string `json:"name"`
					} `json:"env"`
					Ports []struct {
						Name          string `json:"name"`
						ContainerPort int    `json:"containerPort"`
					} `json:"ports"`
					ReadinessProbe probe `json:"readinessProbe"`
					LivenessProbe  probe `json:"livenessProbe"`
				} `json:"containers"`
			} `json:"spec"`
		} `json:"template"`
	} `json:"spec"`
}

type probe struct {
	HTTPGet struct {
		Path   string `json:"path"`
		Port   string `json:"port"`
		Scheme string `json:"scheme"`
	} `json:"httpGet"`
}

func load(t *testing.T, name string, v any) {
	t.Helper()
	if err := yaml.Unmarshal([]byte(read(t, "deploy/"+name)), v); err != nil {
		t.Fatalf("deploy/%s: %v", name, err)
	}
}

func checkDeploymentEnv(t *testing.T, help string) {
	t.Helper()
	var d deployment
	load(t, "deployment.yaml", &d)
	for _, c := range d.Spec.Template.Spec.Containers {
		for _, e := range c.Env {
			// GOMEMLIMIT is the Go runtime's, not a flag's.
			if e.Name != "GOMEMLIMIT" && !strings.Contains(help, "($"+e.Name+")") {
				t.Errorf("deploy/deployment.yaml sets %s, which is no flag's env var of the exporter", e.Name)
			}
		}
	}
}

// TestManifests: the kustomization lists every manifest; the Service
// selects the Deployment's pods on its metrics port; the ServiceMonitor
// selects the Service and labels the job as the mixin's selector expects;
// probes use the exporter's endpoints; the pod runs as non-root.
func TestManifests(t *testing.T) {
	var k struct {
		Resources []string `json:"resources"`
	}
	load(t, "kustomization.yaml", &k)
	all, _ := filepath.Glob(filepath.Join(root, "deploy", "*.yaml"))
	for _, p := range all {
		if b := filepath.Base(p); b != "kustomization.yaml" && !slices.Contains(k.Resources, b) {
			t.Errorf("kustomization.yaml does not list %s", b)
		}
	}
	for _, r := range k.Resources {
		if _, err := os.Stat(filepath.Join(root, "deploy", r)); err != nil {
			t.Errorf("kustomization.yaml lists %s: %v", r, err)
		}
	}

	var d deployment
	load(t, "deployment.yaml", &d)
	pod := d.Spec.Template.Metadata.Labels
	if d.Kind != "Deployment" || len(d.Spec.Selector.MatchLabels) == 0 || !subset(d.Spec.Selector.MatchLabels, pod) {
		t.Errorf("Deployment selector %v does not select its pods %v", d.Spec.Selector.MatchLabels, pod)
	}
	ps := d.Spec.Template.Spec
	if !ps.SecurityContext.RunAsNonRoot || ps.SecurityContext.RunAsUser == 0 {
		t.Errorf("pod securityContext %+v: want runAsNonRoot with a non-zero user", ps.SecurityContext)
	}
	if len(ps.Containers) != 1 {
		t.Fatalf("%d containers", len(ps.Containers))
	}
	c := ps.Containers[0]
	metricsPort := ""
	for _, p := range c.Ports {
		if p.ContainerPort == 5557 {
			metricsPort = p.Name
		}
	}
	if metricsPort == "" {
		t.Fatalf("container exposes no port 5557: %+v", c.Ports)
	}
	if c.ReadinessProbe.HTTPGet.Path != "/readyz" || c.LivenessProbe.HTTPGet.Path != "/healthz" ||
		c.ReadinessProbe.HTTPGet.Port != metricsPort || c.LivenessProbe.HTTPGet.Port != metricsPort {
		t.Errorf("probes %+v %+v: want /readyz and /healthz on %s", c.ReadinessProbe, c.LivenessProbe, metricsPort)
	}
	if !slices.ContainsFunc(c.Env, func(e struct {
		Name string `json:"name"`
	}) bool {
		return e.Name == "ROCKETMQ_EXPORTER_ROCKETMQ_NAMESRV_ADDR"
	}) {
		t.Error("the Deployment does not set the name server address")
	}

	var svc struct {
		Kind     string `json:"kind"`
		Metadata meta   `json:"metadata"`
		Spec     struct {
			Selector map[string]string `json:"selector"`
			Ports    []struct {
				Name       string `json:"name"`
				Port       int    `json:"port"`
				TargetPort string `json:"targetPort"`
			} `json:"ports"`
		} `json:"spec"`
	}
	load(t, "service.yaml", &svc)
	if svc.Kind != "Service" || len(svc.Spec.Selector) == 0 || !subset(svc.Spec.Selector, pod) {
		t.Errorf("Service selector %v does not select the pods %v", svc.Spec.Selector, pod)
	}
	if len(svc.Spec.Ports) != 1 || svc.Spec.Ports[0].TargetPort != metricsPort || svc.Spec.Ports[0].Port != 5557 {
		t.Errorf("Service ports %+v: want 5557 to %s", svc.Spec.Ports, metricsPort)
	}

	var sm struct {
		APIVersion string `json:"apiVersion"`
		Kind       string `json:"kind"`
		Spec       struct {
			Selector struct {
				MatchLabels map[string]string `json:"matchLabels"`
			} `json:"selector"`
			Endpoints []struct {
				Port        string `json:"port"`
				Path        string `json:"path"`
				Relabelings []struct {
					TargetLabel string `json:"targetLabel"`
					Replacement string `json:"replacement"`
				} `json:"relabelings"`
			} `json:"endpoints"`
		} `json:"spec"`
	}
	load(t, "servicemonitor.yaml", &sm)
	if sm.APIVersion != "monitoring.coreos.com/v1" || sm.Kind != "ServiceMonitor" {
		t.Errorf("servicemonitor.yaml: %s %s", sm.APIVersion, sm.Kind)
	}
	if len(sm.Spec.Selector.MatchLabels) == 0 || !subset(sm.Spec.Selector.MatchLabels, svc.Metadata.Labels) {
		t.Errorf("ServiceMonitor selector %v does not select the Service (labels %v)", sm.Spec.Selector.MatchLabels, svc.Metadata.Labels)
	}
	// The rules select job="<x>": the ServiceMonitor must give the target that job.
	job := regexp.MustCompile(`job="([^"]+)"`).FindStringSubmatch(read(t, "deploy/prometheusrule.yaml"))
	if job == nil {
		t.Fatal("prometheusrule.yaml: no job selector")
	}
	if len(sm.Spec.Endpoints) != 1 {
		t.Fatalf("ServiceMonitor endpoints: %+v", sm.Spec.Endpoints)
	}
	ep := sm.Spec.Endpoints[0]
	if ep.Port != svc.Spec.Ports[0].Name || (ep.Path != "" && ep.Path != "/metrics") {
		t.Errorf("ServiceMonitor endpoint %+v: want port %s, path /metrics", ep, svc.Spec.Ports[0].Name)
	}
	if !slices.ContainsFunc(ep.Relabelings, func(r struct {
		TargetLabel string `json:"targetLabel"`
		Replacement string `json:"replacement"`
	}) bool {
		return r.TargetLabel == "job" && r.Replacement == job[1]
	}) {
		t.Errorf("ServiceMonitor does not set job=%q, which the rules and dashboards select", job[1])
	}
}

// TestManifestImageTag: the Deployment runs a released image, the newest
// release in CHANGELOG.md, never latest; kustomization.yaml pins the same
// tag (the one place to change it).
func TestManifestImageTag(t *testing.T) {
	released := regexp.MustCompile(`(?m)^## \[([0-9][^\]]*)\]`).FindStringSubmatch(read(t, "CHANGELOG.md"))
	if released == nil {
		t.Fatal("CHANGELOG.md names no release")
	}
	var d deployment
	load(t, "deployment.yaml", &d)
	repo, tag, _ := strings.Cut(d.Spec.Template.Spec.Containers[0].Image, ":")
	if tag == "" || tag == "latest" || tag != released[1] {
		t.Errorf("deploy/deployment.yaml image %s:%s, want the newest release %s", repo, tag, released[1])
	}
	var k struct {
		Images []struct {
			Name   string `json:"name"`
			NewTag string `json:"newTag"`
		} `json:"images"`
	}
	load(t, "kustomization.yaml", &k)
	if len(k.Images) != 1 || k.Images[0].Name != repo || k.Images[0].NewTag != tag {
		t.Errorf("kustomization.yaml images %+v, want %s with newTag %s", k.Images, repo, tag)
	}
}

func subset(sub, of map[string]string) bool {
	for k, v := range sub {
		if of[k] != v {
			return false
		}
	}
	return true
}
