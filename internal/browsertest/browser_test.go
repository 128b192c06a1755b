package browsertest

import (
	"testing"
)

func TestFindChromiumSaysHowToInstall(t *testing.T) {
	saved := ChromiumCandidates
	t.Cleanup(func() { ChromiumCandidates = saved })
	ChromiumCandidates = []string{"/nonexistent/chromium", "hoso-no-such-browser"}
	_, err := FindChromium()
	if err == nil || err.Error() != "chromium not found: apt-get install chromium" {
		t.Errorf("FindChromium without a browser: %v", err)
	}
	ChromiumCandidates = saved
	if _, err := FindChromium(); err != nil {
		t.Errorf("this machine has Chromium: %v", err)
	}
}

func TestLayOut(t *testing.T) {
	res := layOut("Họ tên: A\nBình", 90)
	var got []string
	for _, w := range res.Words {
		got = append(got, res.Text[w.Start:w.Start+len(w.Text)])
		if res.Text[w.Start:w.Start+len(w.Text)] != w.Text {
			t.Errorf("word %q at %d does not match the text", w.Text, w.Start)
		}
	}
	if len(got) != 4 || res.Words[3].Y0 <= res.Words[0].Y0 {
		t.Errorf("words %q, boxes %+v", got, res.Words)
	}
}
