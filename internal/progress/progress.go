// Package progress draws progress for people: a redrawn one-line bar on a
// terminal, periodic plain lines otherwise (logs, CI). It is not logging.
package progress

import (
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"

	"golang.org/x/term"
)

// IsTerminal reports whether w is a terminal.
func IsTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// Bar reports the progress of one job counted in units (pages, objects).
// It is safe for concurrent use. The zero value is not usable; use New.
type Bar struct {
	mu       sync.Mutex
	w        io.Writer
	tty      bool
	label    string
	unit     string
	total    int64
	done     int64
	extra    func() string
	start    time.Time
	last     time.Time
	every    time.Duration
	finished bool
	lineLen  int
	now      func() time.Time
}

// New returns a bar writing to w. total may be 0 when unknown (SetTotal
// later). On a terminal it redraws at most 10 times a second; elsewhere it
// prints a line every 10 seconds.
func New(w io.Writer, label, unit string, total int64) *Bar {
	b := &Bar{w: w, tty: IsTerminal(w), label: label, unit: unit, total: total, now: time.Now}
	b.start = b.now()
	b.every = 10 * time.Second
	if b.tty {
		b.every = 100 * time.Millisecond
	}
	return b
}

// SetPlain forces plain periodic lines every interval (tests, --no-progress).
func (b *Bar) SetPlain(every time.Duration) {
	b.mu.Lock()
	b.tty, b.every = false, every
	b.mu.Unlock()
}

// SetExtra sets a function whose result is shown after the counts
// ("3/12 dossiers, 2 failed").
func (b *Bar) SetExtra(f func() string) {
	b.mu.Lock()
	b.extra = f
	b.mu.Unlock()
}

// SetTotal changes the total.
func (b *Bar) SetTotal(n int64) {
	b.mu.Lock()
	b.total = n
	b.mu.Unlock()
	b.tick(false)
}

// Add counts n more units done.
func (b *Bar) Add(n int64) {
	b.mu.Lock()
	b.done += n
	b.mu.Unlock()
	b.tick(false)
}

// Done draws the final state and ends the line.
func (b *Bar) Done() {
	b.tick(true)
}

func (b *Bar) tick(final bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.finished {
		return
	}
	now := b.now()
	if !final && now.Sub(b.last) < b.every {
		return
	}
	b.last = now
	line := b.line(now)
	if b.tty {
		pad := ""
		if n := b.lineLen - len(line); n > 0 {
			pad = strings.Repeat(" ", n)
		}
		fmt.Fprintf(b.w, "\r%s%s", line, pad)
		b.lineLen = len(line)
		if final {
			fmt.Fprintln(b.w)
		}
	} else {
		fmt.Fprintln(b.w, line)
	}
	if final {
		b.finished = true
	}
}

func (b *Bar) line(now time.Time) string {
	el := now.Sub(b.start)
	rate := 0.0
	if el > 0 {
		rate = float64(b.done) / el.Seconds()
	}
	var sb strings.Builder
	sb.WriteString(b.label)
	if b.tty && b.total > 0 {
		const width = 24
		fill := int(float64(width) * float64(b.done) / float64(b.total))
		fill = min(max(fill, 0), width)
		sb.WriteString(" [" + strings.Repeat("=", fill) + strings.Repeat(" ", width-fill) + "]")
	}
	if b.total > 0 {
		fmt.Fprintf(&sb, " %d/%d %s", b.done, b.total, b.unit)
	} else {
		fmt.Fprintf(&sb, " %d %s", b.done, b.unit)
	}
	fmt.Fprintf(&sb, " %.1f/s", rate)
	if b.total > 0 && rate > 0 && b.done < b.total {
		eta := time.Duration(float64(b.total-b.done)/rate) * time.Second
		fmt.Fprintf(&sb, " ETA %s", eta.Round(time.Second))
	} else {
		fmt.Fprintf(&sb, " in %s", el.Round(100*time.Millisecond))
	}
	if b.extra != nil {
		if e := b.extra(); e != "" {
			sb.WriteString(", " + e)
		}
	}
	return sb.String()
}
