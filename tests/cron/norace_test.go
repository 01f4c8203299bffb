//go:build !race

package cron_test

const raceEnabled = false
