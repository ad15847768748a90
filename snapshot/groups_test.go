package snapshot

import (
	"os"
	"path/filepath"
	"regexp"
	"testing"
)

var groupName = regexp.MustCompile(`"groupName":"([^"]*)"`)

// recordedGroups lists the groupName fields of a recorded
// GET_ALL_SUBSCRIPTIONGROUP_CONFIG answer.
func recordedGroups(t *testing.T, path string) []string {
	t.Helper()
	body, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, m := range groupName.FindAllSubmatch(body, -1) {
		out = append(out, string(m[1]))
	}
	if len(out) == 0 {
		t.Fatalf("%s: no group", path)
	}
	return out
}

// TestClassifyGroupRecorded: the base recordings' subscription configs
// hold only the groups a fresh broker creates for itself (the recording's
// one application group was deleted before it ended); the groups/
// recordings add the applications' groups (GID_…).
func TestClassifyGroupRecorded(t *testing.T) {
	dirs, _ := filepath.Glob(filepath.Join("..", "testdata", "fixtures", "*"))
	if len(dirs) == 0 {
		t.Fatal("no recordings")
	}
	for _, dir := range dirs {
		own := map[string]bool{}
		for _, g := range recordedGroups(t, filepath.Join(dir, "GET_ALL_SUBSCRIPTIONGROUP_CONFIG.json")) {
			own[g] = true
			if k := ClassifyGroup(g); k != GroupSystem {
				t.Errorf("%s: a fresh broker's group %s is %s", filepath.Base(dir), g, k)
			}
		}
		path := filepath.Join(dir, "groups", "GET_ALL_SUBSCRIPTIONGROUP_CONFIG.json")
		if _, err := os.Stat(path); err != nil {
			continue
		}
		for _, g := range recordedGroups(t, path) {
			if want := map[bool]GroupKind{true: GroupSystem, false: GroupBusiness}[own[g]]; ClassifyGroup(g) != want {
				t.Errorf("%s: group %s is %s, want %s", filepath.Base(dir), g, ClassifyGroup(g), want)
			}
		}
	}
}

var offsetKey = regexp.MustCompile(`"[^"@]*@([^"@]*)":\{`)

// TestClassifyGroupInternal: the groups/ recordings' offset tables hold
// the offsets of groups that are in no subscription config: the broker's
// own (POP revive on 5.x, the transaction check on 4.9.7).
func TestClassifyGroupInternal(t *testing.T) {
	paths, _ := filepath.Glob(filepath.Join("..", "testdata", "fixtures", "*", "groups", "GET_ALL_CONSUMER_OFFSET.json"))
	internal := 0
	for _, path := range paths {
		dir := filepath.Dir(path)
		configured := map[string]bool{}
		for _, g := range recordedGroups(t, filepath.Join(dir, "GET_ALL_SUBSCRIPTIONGROUP_CONFIG.json")) {
			configured[g] = true
		}
		body, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range offsetKey.FindAllSubmatch(body, -1) {
			if g := string(m[1]); !configured[g] {
				internal++
				if k := ClassifyGroup(g); k != GroupSystem {
					t.Errorf("%s: %s commits offsets outside the subscription config but is %s", path, g, k)
				}
			}
		}
	}
	if internal == 0 {
		t.Error("no recording holds an internal group's offsets")
	}
}

// TestClassifyGroupLookalikes: names that only look reserved.
func TestClassifyGroupLookalikes(t *testing.T) {
	for _, name := range []string{"tools_consumer", "CID_RMQ_SYSX", "XCID_RMQ_SYS_TRANS", "TOOLS_CONSUMER2", ""} {
		if got := ClassifyGroup(name); got != GroupBusiness {
			t.Errorf("ClassifyGroup(%q) = %s, want %s", name, got, GroupBusiness)
		}
	}
}
