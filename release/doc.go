// Package release holds the test of `make release`: it builds the release
// archives into a temporary directory and checks each one against
// sha256sums.txt, the stamped version and its platform. It has no code of
// its own.
package release
