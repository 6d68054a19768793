//go:build race

package main

// raceBuild is true when the test binary is built with -race.
const raceBuild = true
