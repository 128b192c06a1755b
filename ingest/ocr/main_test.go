package ocr

import (
	"image"
	"math/rand/v2"
	"os"
	"sync"
	"testing"

	"hoso/internal/fixtures"
)

func TestMain(m *testing.M) {
	EnsureThreadLimit()
	os.Exit(m.Run())
}

// Lines with the diacritics and words the tests look for.
var vietLines = []string{
	"CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
	"Độc lập - Tự do - Hạnh phúc",
	"Họ và tên: Nguyễn Văn Thành",
	"Quê quán: xã Diễn Hồng, huyện Diễn Châu, tỉnh Nghệ An",
	"Đã được kết nạp vào Đảng Cộng sản Việt Nam năm 1998",
	"Khen thưởng: Bằng khen của Bộ trưởng năm 2015",
}

// render draws lines with o and fails the test on error.
func render(t testing.TB, lines []string, o fixtures.PageOptions) *image.Gray {
	t.Helper()
	img, err := fixtures.Page(lines, o)
	if err != nil {
		t.Fatal(err)
	}
	return img
}

// docLines returns n generated dossier lines for seed.
func docLines(seed uint64, n int) []string {
	rng := rand.New(rand.NewPCG(seed, 17))
	return fixtures.DocumentLines(rng, fixtures.RandomPerson(rng), n)
}

var (
	sharedOnce sync.Once
	sharedPool *Pool
	sharedErr  error
)

// shared returns a two-worker pool with default settings, made once for
// the package's tests (loading Tesseract's models takes a while).
func shared(t testing.TB) *Pool {
	t.Helper()
	sharedOnce.Do(func() {
		cfg := DefaultConfig()
		cfg.Workers = 2
		sharedPool, sharedErr = New(cfg)
	})
	if sharedErr != nil {
		t.Fatal(sharedErr)
	}
	return sharedPool
}
