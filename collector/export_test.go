package collector

// ServedWhen says which flags serve the family name, as docs/metrics.md
// says it, for the tests outside the package; "" for a name not declared
// here (client_golang's own families).
func ServedWhen(name string) string {
	for _, f := range allFamilies() {
		if f.name == name {
			return servedWhen(f.needs)
		}
	}
	return ""
}
