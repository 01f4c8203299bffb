package openai

import (
	"math"
	"net/http"
	"testing"
	"time"
)

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		in   string
		want time.Duration
	}{
		{"", 0},
		{"0", 0},
		{"-5", 0},
		{"7", 7 * time.Second},
		{" 12 ", 12 * time.Second},
		{"999999999", 24 * time.Hour},
		{now.Add(90 * time.Second).Format(http.TimeFormat), 90 * time.Second},
		{"Thursday, 26-Nov-26 12:00:30 GMT", 30 * time.Second}, // RFC 850
		{"Thu Nov 26 12:00:05 2026", 5 * time.Second},          // asctime
		{now.Add(-time.Minute).Format(http.TimeFormat), 0},
		{"soon", 0},
		{"1.5", 0},
	}
	for _, tt := range tests {
		if got := parseRetryAfter(tt.in, now); got != tt.want {
			t.Errorf("parseRetryAfter(%q) = %v, want %v", tt.in, got, tt.want)
		}
	}
}

func TestBackoff(t *testing.T) {
	base, maxd := 100*time.Millisecond, 2*time.Second
	for n := range 70 {
		ceil := time.Duration(math.Min(float64(maxd), float64(base)*math.Pow(2, float64(n))))
		seenHigh := false
		for range 200 {
			d := backoff(n, base, maxd)
			if d < 0 || d > ceil {
				t.Fatalf("backoff(%d) = %v, outside [0, %v]", n, d, ceil)
			}
			seenHigh = seenHigh || d > ceil/2
		}
		if !seenHigh {
			t.Errorf("backoff(%d) never above half its ceiling %v: no jitter spread", n, ceil)
		}
	}
}
