package loadgen

import (
	"context"
	"errors"
	"testing"
	"time"
)

func TestPercentile(t *testing.T) {
	var d []time.Duration
	for i := 1; i <= 100; i++ {
		d = append(d, time.Duration(i)*time.Millisecond)
	}
	for p, want := range map[float64]time.Duration{50: 50 * time.Millisecond, 95: 95 * time.Millisecond, 99: 99 * time.Millisecond, 100: 100 * time.Millisecond, 0: time.Millisecond} {
		if got := Percentile(d, p); got != want {
			t.Errorf("p%v = %v, want %v", p, got, want)
		}
	}
	if Percentile(nil, 50) != 0 {
		t.Error("empty")
	}
}

func TestRun(t *testing.T) {
	boom := errors.New("boom")
	s := Run(context.Background(), 4, 10, time.Minute, func(ctx context.Context, c, i int) error {
		if c == 0 && i == 3 {
			return boom
		}
		return nil
	})
	if s.Calls != 40 || s.Errors != 1 || !errors.Is(s.FirstErr, boom) || s.Clients != 4 {
		t.Errorf("%+v", s)
	}
	// the limit ends the run; calls cut off by it are not errors
	s = Run(context.Background(), 2, 1000, 50*time.Millisecond, func(ctx context.Context, c, i int) error {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(10 * time.Millisecond):
			return nil
		}
	})
	if s.Errors != 0 || s.Calls == 0 || s.Calls >= 2000 {
		t.Errorf("limited run: %+v", s)
	}
	t.Log(s)
}
