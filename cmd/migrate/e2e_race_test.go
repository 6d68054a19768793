//go:build race

package main

// raceBuild is true when the test binary is built with -race, whose
// runtime inflates RSS: TestE2ELargeMessageMemory checks peak RSS only
// without it.
const raceBuild = true
