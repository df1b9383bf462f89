//go:build race

package graph_test

// raceSlowdown scales CPU bounds under the race detector, which makes
// parsing about 5 times slower.
const raceSlowdown = 5
