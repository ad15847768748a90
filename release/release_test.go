package release

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/rocketmq-exporter/rocketmq_exporter/internal/testtool"
)

const (
	bin      = "rocketmq_exporter"
	version  = "9.8.7-release-test"
	revision = "0123456789abcdef"
	branch   = "release-test"
)

var platforms = [][2]string{{"linux", "amd64"}, {"linux", "arm64"}, {"darwin", "amd64"}, {"darwin", "arm64"}, {"windows", "amd64"}}

// TestMakeRelease runs `make release` into a temporary directory and checks
// every archive: listed in sha256sums.txt with its real checksum, holding
// the binary, LICENSE and README.md; the native binary prints the stamped
// version; the others' build info names their platform and the -X flags.
func TestMakeRelease(t *testing.T) {
	if testing.Short() {
		t.Skip("cross-builds the exporter for every platform")
	}
	for _, tool := range []string{"make", "go", "zip", "sha256sum"} {
		testtool.Need(t, "Debian: apt-get install make zip coreutils; Go from https://go.dev/dl", tool)
	}
	dist := t.TempDir()
	cmd := exec.Command("make", "-C", "..", "release", "DIST="+dist,
		"VERSION="+version, "REVISION="+revision, "BRANCH="+branch)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("make release: %v\n%s", err, out)
	}
	sums := readSums(t, filepath.Join(dist, "sha256sums.txt"))
	if len(sums) != len(platforms) {
		t.Errorf("sha256sums.txt lists %d archives, want %d: %v", len(sums), len(platforms), sums)
	}
	for _, p := range platforms {
		t.Run(p[0]+"-"+p[1], func(t *testing.T) { checkArchive(t, dist, sums, p[0], p[1]) })
	}
}

// readSums reads `sha256sum` output: checksum, two spaces, file name.
func readSums(t *testing.T, path string) map[string]string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	sums := map[string]string{}
	for _, l := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		sum, name, ok := strings.Cut(l, "  ")
		if !ok {
			t.Fatalf("sha256sums.txt: bad line %q", l)
		}
		sums[name] = sum
	}
	return sums
}

func checkArchive(t *testing.T, dist string, sums map[string]string, goos, goarch string) {
	dir := fmt.Sprintf("%s-%s.%s-%s", bin, version, goos, goarch)
	name, exe := dir+".tar.gz", bin
	if goos == "windows" {
		name, exe = dir+".zip", bin+".exe"
	}
	b, err := os.ReadFile(filepath.Join(dist, name))
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(b)
	if got := hex.EncodeToString(sum[:]); sums[name] != got {
		t.Errorf("%s: sha256 %s, sha256sums.txt says %q", name, got, sums[name])
	}
	files := unpack(t, name, b)
	for _, f := range []string{"LICENSE", "README.md"} {
		want, _ := os.ReadFile(filepath.Join("..", f))
		if !bytes.Equal(files[dir+"/"+f], want) {
			t.Errorf("%s: %s/%s missing or not the repository's", name, dir, f)
		}
	}
	binary := files[dir+"/"+exe]
	if len(binary) == 0 {
		t.Fatalf("%s: no %s/%s; has %v", name, dir, exe, keys(files))
	}
	path := filepath.Join(t.TempDir(), exe)
	if err := os.WriteFile(path, binary, 0o755); err != nil {
		t.Fatal(err)
	}
	checkBuildInfo(t, path, goos, goarch, binary)
	if goos == runtime.GOOS && goarch == runtime.GOARCH {
		// The exit code is the command's business; the output is checked.
		out, _ := exec.Command(path, "--version").CombinedOutput()
		want := fmt.Sprintf("version %s (branch: %s, revision: %s)", version, branch, revision)
		if !strings.Contains(string(out), want) {
			t.Errorf("--version printed:\n%s\nwant %q", out, want)
		}
	}
}

// checkBuildInfo reads the binary's build info as the Go toolchain records
// it: its platform and a static -trimpath build. Go leaves -ldflags out of
// the build info of a -trimpath build, so the -X stamps are looked for in
// the binary itself: the test's values occur nowhere else.
func checkBuildInfo(t *testing.T, path, goos, goarch string, binary []byte) {
	out, err := exec.Command("go", "version", "-m", path).CombinedOutput()
	if err != nil {
		t.Fatalf("go version -m: %v\n%s", err, out)
	}
	for _, want := range []string{"GOOS=" + goos, "GOARCH=" + goarch, "CGO_ENABLED=0", "-trimpath=true"} {
		if !strings.Contains(string(out), "\t"+want+"\n") {
			t.Errorf("build info lacks %q:\n%s", want, out)
		}
	}
	for _, stamp := range []string{version, revision, branch} {
		if !bytes.Contains(binary, []byte(stamp)) {
			t.Errorf("the binary does not hold the stamped %q", stamp)
		}
	}
}

// unpack returns the regular files of a .tar.gz or .zip archive by path.
func unpack(t *testing.T, name string, b []byte) map[string][]byte {
	t.Helper()
	files := map[string][]byte{}
	if strings.HasSuffix(name, ".zip") {
		zr, err := zip.NewReader(bytes.NewReader(b), int64(len(b)))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		for _, f := range zr.File {
			if f.FileInfo().IsDir() {
				continue
			}
			rc, err := f.Open()
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			files[f.Name], err = io.ReadAll(rc)
			rc.Close()
			if err != nil {
				t.Fatalf("%s: %s: %v", name, f.Name, err)
			}
		}
		return files
	}
	gz, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	tr := tar.NewReader(gz)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return files
		}
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if h.Typeflag == tar.TypeReg {
			files[h.Name], _ = io.ReadAll(tr)
		}
	}
}

func keys(m map[string][]byte) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}
