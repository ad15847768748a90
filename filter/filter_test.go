package filter

import "testing"

func TestFilter(t *testing.T) {
	f, err := New("orders-.*|pay", "orders-test")
	if err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]bool{"orders-eu": true, "pay": true, "payments": false, "orders-test": false, "x-orders-eu": false} {
		if got := f.Keep(name); got != want {
			t.Errorf("Keep(%q) = %v, want %v", name, got, want)
		}
	}
	var none *Filter
	if !none.Keep("anything") {
		t.Error("nil filter must keep everything")
	}
	if _, err := New("(", ""); err == nil {
		t.Error("bad include accepted")
	}
}
