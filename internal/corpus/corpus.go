// Package corpus generates the benchmark corpus: personnel dossiers whose
// pages read like OCR'd Vietnamese dossier pages. Names follow the real
// frequencies of Vietnamese family names (Nguyễn on about 38% of people,
// Trần 11%, Lê 9.5%, ...), middle names (Văn and Thị dominate) and given
// names (a long tail), and every page mentions several people (the subject,
// relatives, signers, referees), so common family names occur on most
// pages, as they do in real dossiers. Page text is assembled from many
// sentence templates filled with names, places (communes, districts,
// provinces), units, positions, schools, dates and numbers (decision
// numbers, ID numbers), with OCR noise (lost diacritics, wrong letters) on
// a few words. Everything is deterministic in the dossier number. The index
// benchmarks (go test ./index -bench) and hoso bench both build their
// indexes from it and search it with Queries.
package corpus

import (
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"time"
	"unicode"

	"golang.org/x/text/unicode/norm"

	"hoso/domain"
)

// weighted is a list of values drawn with given relative weights.
type weighted struct {
	vals []string
	cum  []float64
}

func newWeighted(pairs ...any) *weighted {
	w := &weighted{}
	total := 0.0
	for i := 0; i < len(pairs); i += 2 {
		total += pairs[i+1].(float64)
		w.vals = append(w.vals, pairs[i].(string))
		w.cum = append(w.cum, total)
	}
	for i := range w.cum {
		w.cum[i] /= total
	}
	return w
}

// zipf weights a list by 1/(rank+k).
func zipf(k float64, vals ...string) *weighted {
	var pairs []any
	for i, v := range vals {
		pairs = append(pairs, v, 1/(float64(i)+k))
	}
	return newWeighted(pairs...)
}

func (w *weighted) pick(rng *rand.Rand) string {
	x := rng.Float64()
	lo, hi := 0, len(w.cum)-1
	for lo < hi {
		m := (lo + hi) / 2
		if w.cum[m] < x {
			lo = m + 1
		} else {
			hi = m
		}
	}
	return w.vals[lo]
}

// Name parts with approximate real frequencies (percent of people).
var (
	cFamily = newWeighted(
		"Nguyễn", 38.4, "Trần", 11.0, "Lê", 9.5, "Phạm", 7.1, "Hoàng", 3.5, "Huỳnh", 1.6, "Phan", 4.5,
		"Vũ", 2.2, "Võ", 1.7, "Đặng", 2.1, "Bùi", 2.0, "Đỗ", 1.4, "Hồ", 1.3, "Ngô", 1.3, "Dương", 1.0,
		"Lý", 0.5, "Đinh", 0.8, "Trịnh", 0.6, "Trương", 0.6, "Đoàn", 0.5, "Mai", 0.5, "Đào", 0.5,
		"Lương", 0.4, "Cao", 0.4, "Lâm", 0.4, "Hà", 0.4, "Tạ", 0.3, "Lưu", 0.3, "Phùng", 0.3, "Tô", 0.2,
		"Chu", 0.2, "Kiều", 0.2, "Thái", 0.2, "Triệu", 0.2, "Vương", 0.2, "Nông", 0.2, "Quách", 0.1,
		"Hứa", 0.1, "La", 0.1, "Thân", 0.1, "Tăng", 0.1, "Khúc", 0.05, "Mạc", 0.05, "Lò", 0.05, "Âu", 0.05)
	cMiddleM = newWeighted(
		"Văn", 34.0, "Hữu", 6.0, "Đức", 6.0, "Minh", 5.0, "Quốc", 4.0, "Công", 4.0, "Đình", 4.0, "Xuân", 3.0,
		"Thanh", 3.0, "Quang", 3.0, "Ngọc", 2.5, "Mạnh", 2.0, "Trọng", 2.0, "Tiến", 2.0, "Anh", 1.5, "Bá", 1.5,
		"Duy", 1.5, "Hoàng", 1.5, "Trung", 1.5, "Việt", 1.5, "Thế", 1.5, "Hải", 1.0, "Khắc", 1.0, "Phú", 1.0,
		"Tuấn", 1.0, "Kim", 0.5, "Huy", 1.0, "Thành", 1.0, "Chí", 1.0, "Sỹ", 0.5, "Đăng", 0.5, "Nhật", 0.5)
	cMiddleF = newWeighted(
		"Thị", 45.0, "Ngọc", 6.0, "Thu", 4.0, "Thanh", 4.0, "Minh", 3.0, "Hồng", 3.0, "Kim", 3.0, "Thùy", 2.5,
		"Hoài", 1.5, "Phương", 2.0, "Bích", 1.5, "Mỹ", 1.5, "Diệu", 1.0, "Khánh", 1.0, "Lan", 1.0, "Quỳnh", 1.0,
		"Hải", 1.0, "Thúy", 1.5, "Tuyết", 1.0, "Mai", 1.0, "Bảo", 1.0, "Hà", 1.0, "Như", 1.0, "Vân", 1.0)
	cGivenM = zipf(3,
		"Hùng", "Dũng", "Tuấn", "Minh", "Thành", "Hải", "Sơn", "Nam", "Long", "Quang", "Hiếu", "Trung", "Đức",
		"Cường", "Thắng", "Hưng", "Phong", "Tùng", "Việt", "Khoa", "Huy", "Bình", "Đạt", "Toàn", "Thịnh",
		"Hòa", "Lâm", "Quân", "Tâm", "Phúc", "Vinh", "Tiến", "Nghĩa", "Hoàng", "Duy", "Kiên", "Lợi", "Tài",
		"Thái", "Hậu", "Quyết", "Trí", "Chiến", "Công", "Hiệp", "Khánh", "Luân", "Mạnh", "Nhân", "Phương",
		"Quý", "Sang", "Tân", "Thông", "Thuận", "Tín", "Trường", "Tú", "Vũ", "Bảo", "Chính", "Định", "Giang",
		"Hào", "Khải", "Lực", "Ninh", "Phát", "Sỹ", "Thạch", "Thiện", "Triều", "Tuân", "Uy", "Vượng", "Xuân",
		"Đông", "Hạnh", "Hội", "Kha", "Lộc", "Nguyên", "Phụng", "Quảng", "Sáng", "Thăng", "Toản", "Trọng",
		"Tường", "Ước", "Vĩnh", "Yên", "Bắc", "Cảnh", "Diệu", "Điệp", "Hoan", "Khiêm", "Lãm", "Mẫn", "Nhuận")
	cGivenF = zipf(3,
		"Hương", "Lan", "Hà", "Linh", "Trang", "Hoa", "Mai", "Thảo", "Ngọc", "Phương", "Hằng", "Nga", "Yến",
		"Thủy", "Huyền", "Dung", "Anh", "Hạnh", "Loan", "Nhung", "Oanh", "Vân", "Thúy", "Quyên", "Trâm",
		"Giang", "Hiền", "Liên", "Tâm", "Thu", "Tuyết", "Xuân", "Bích", "Chi", "Diệp", "Đào", "Hảo", "Hậu",
		"Hồng", "Khánh", "Lệ", "Lý", "My", "Nhàn", "Nhi", "Phượng", "Quỳnh", "Sen", "Tâm", "Thơ", "Thắm",
		"Thanh", "Thương", "Trinh", "Uyên", "Vy", "Ánh", "Bình", "Cúc", "Duyên", "Gấm", "Hân", "Hường",
		"Kiều", "Lài", "Liễu", "Mơ", "Ngân", "Nguyệt", "Nhạn", "Nương", "Sương", "Thoa", "Thục", "Tịnh",
		"Trà", "Vui", "Xoan", "Yên", "Ân", "Châu", "Diễm", "Hiên", "Khuê", "Lựu", "Mận", "Ngà", "Quế")
	// syllables of place names: a commune or district is two of them
	cPlaceSyl = zipf(6,
		"Yên", "Phú", "An", "Bình", "Tân", "Hòa", "Đức", "Thọ", "Thạnh", "Lộc", "Hưng", "Long", "Phước", "Mỹ",
		"Thuận", "Hải", "Sơn", "Lâm", "Trung", "Đông", "Tây", "Nam", "Bắc", "Quang", "Vĩnh", "Xuân", "Hiệp",
		"Thành", "Cẩm", "Kỳ", "Hương", "Nghi", "Diễn", "Quỳnh", "Thanh", "Hợp", "Tiến", "Lạc", "Định",
		"Gia", "Kim", "Ninh", "Điện", "Khánh", "Châu", "Thái", "Hậu", "Lương", "Minh", "Nghĩa", "Phong",
		"Quế", "Sông", "Thượng", "Thủy", "Triệu", "Văn", "Vạn", "Việt", "Cát", "Đại", "Hạ", "Hoằng", "Lĩnh",
		"Mai", "Ngọc", "Phổ", "Quảng", "Tam", "Thiệu", "Tĩnh", "Trà", "Tuy", "Vân", "Xương", "Chánh", "Cầu")
	cProvince = zipf(8,
		"Hà Nội", "Thành phố Hồ Chí Minh", "Nghệ An", "Thanh Hóa", "Hà Tĩnh", "Nam Định", "Thái Bình",
		"Hải Phòng", "Quảng Bình", "Đà Nẵng", "Thừa Thiên Huế", "Quảng Nam", "Quảng Ngãi", "Bình Định",
		"Hải Dương", "Hưng Yên", "Bắc Ninh", "Bắc Giang", "Phú Thọ", "Vĩnh Phúc", "Ninh Bình", "Hà Nam",
		"Cần Thơ", "An Giang", "Đồng Tháp", "Tiền Giang", "Long An", "Bến Tre", "Vĩnh Long", "Trà Vinh",
		"Sóc Trăng", "Kiên Giang", "Cà Mau", "Bạc Liêu", "Đồng Nai", "Bình Dương", "Bà Rịa - Vũng Tàu",
		"Khánh Hòa", "Phú Yên", "Gia Lai", "Đắk Lắk", "Lâm Đồng", "Kon Tum", "Quảng Trị", "Lào Cai",
		"Yên Bái", "Tuyên Quang", "Thái Nguyên", "Lạng Sơn", "Cao Bằng", "Hà Giang", "Sơn La", "Điện Biên",
		"Lai Châu", "Hòa Bình", "Quảng Ninh", "Bình Thuận", "Ninh Thuận", "Tây Ninh", "Bình Phước", "Hậu Giang")
	cOffice = zipf(4,
		"Phòng Tổ chức cán bộ", "Văn phòng", "Phòng Kế hoạch - Tài chính", "Phòng Hành chính - Tổng hợp",
		"Phòng Nội vụ", "Phòng Tư pháp", "Phòng Giáo dục và Đào tạo", "Phòng Y tế", "Phòng Tài nguyên và Môi trường",
		"Phòng Kinh tế", "Phòng Lao động - Thương binh và Xã hội", "Phòng Văn hóa và Thông tin", "Thanh tra",
		"Phòng Quản lý đô thị", "Phòng Nông nghiệp và Phát triển nông thôn", "Ban Quản lý dự án", "Phòng Kế toán",
		"Trung tâm Dịch vụ việc làm", "Phòng Công tác chính trị", "Phòng Đào tạo", "Khoa Nội", "Khoa Ngoại")
	cAgency = zipf(4,
		"Sở Nội vụ", "Ủy ban nhân dân tỉnh", "Ủy ban nhân dân huyện", "Sở Giáo dục và Đào tạo", "Sở Y tế",
		"Sở Tài chính", "Sở Kế hoạch và Đầu tư", "Sở Tư pháp", "Sở Xây dựng", "Sở Công Thương",
		"Sở Nông nghiệp và Phát triển nông thôn", "Sở Tài nguyên và Môi trường", "Sở Giao thông vận tải",
		"Sở Lao động - Thương binh và Xã hội", "Sở Văn hóa, Thể thao và Du lịch", "Sở Thông tin và Truyền thông",
		"Ban Tuyên giáo Tỉnh ủy", "Ban Tổ chức Tỉnh ủy", "Bệnh viện Đa khoa tỉnh", "Trường Đại học Sư phạm",
		"Trường Cao đẳng Y tế", "Kho bạc Nhà nước", "Cục Thuế tỉnh", "Bảo hiểm xã hội tỉnh", "Công an tỉnh",
		"Bộ Chỉ huy Quân sự tỉnh", "Tòa án nhân dân tỉnh", "Viện Kiểm sát nhân dân tỉnh", "Đài Phát thanh và Truyền hình")
	cPosition = zipf(3,
		"chuyên viên", "cán bộ", "nhân viên", "Phó Trưởng phòng", "Trưởng phòng", "kế toán viên", "giáo viên",
		"thanh tra viên", "Phó Giám đốc", "Giám đốc", "chuyên viên chính", "văn thư", "bác sĩ", "điều dưỡng",
		"giảng viên", "Phó Chánh Văn phòng", "Chánh Văn phòng", "cán sự", "kỹ sư", "lưu trữ viên", "Chủ tịch",
		"Phó Chủ tịch", "Bí thư Chi bộ", "Trưởng khoa", "Hiệu trưởng", "Phó Hiệu trưởng", "kiểm soát viên")
	cJob = zipf(3,
		"làm ruộng", "nông dân", "giáo viên", "công nhân", "buôn bán", "cán bộ hưu trí", "bộ đội", "nội trợ",
		"kỹ sư", "bác sĩ", "y tá", "thợ mộc", "lái xe", "kế toán", "công chức", "viên chức", "học sinh",
		"sinh viên", "lao động tự do", "thợ may", "ngư dân", "đã mất", "cựu chiến binh", "kinh doanh")
	cSchool = zipf(3,
		"Đại học Quốc gia Hà Nội", "Đại học Sư phạm Hà Nội", "Đại học Kinh tế Quốc dân", "Học viện Hành chính Quốc gia",
		"Đại học Luật Hà Nội", "Đại học Bách khoa Hà Nội", "Đại học Vinh", "Đại học Huế", "Đại học Đà Nẵng",
		"Đại học Cần Thơ", "Đại học Y Hà Nội", "Học viện Chính trị Quốc gia Hồ Chí Minh", "Đại học Nông nghiệp",
		"Đại học Kinh tế Thành phố Hồ Chí Minh", "Đại học Thương mại", "Học viện Tài chính", "Đại học Thủy lợi",
		"Đại học Giao thông vận tải", "Trường Chính trị tỉnh", "Cao đẳng Sư phạm", "Đại học Mở", "Đại học Tây Nguyên")
	cMajor = zipf(3,
		"Kinh tế", "Luật", "Quản trị kinh doanh", "Kế toán", "Tài chính - Ngân hàng", "Sư phạm Toán", "Sư phạm Ngữ văn",
		"Hành chính học", "Công nghệ thông tin", "Xây dựng dân dụng", "Y đa khoa", "Điều dưỡng", "Nông học",
		"Quản lý đất đai", "Lịch sử", "Xã hội học", "Triết học", "Chính trị học", "Ngoại ngữ", "Điện kỹ thuật",
		"Cơ khí", "Môi trường", "Thú y", "Thủy sản", "Địa lý", "Văn thư - Lưu trữ", "Quản lý nhà nước")
	cDegree = zipf(2, "Cử nhân", "Kỹ sư", "Thạc sĩ", "Trung cấp", "Cao đẳng", "Tiến sĩ", "Bác sĩ")
	cAward  = zipf(2,
		"Giấy khen của Giám đốc Sở", "Bằng khen của Ủy ban nhân dân tỉnh", "Chiến sĩ thi đua cơ sở",
		"Bằng khen của Bộ trưởng", "Huy hiệu 30 năm tuổi Đảng", "Lao động tiên tiến", "Bằng khen của Thủ tướng Chính phủ",
		"Huân chương Lao động hạng Ba", "Kỷ niệm chương vì sự nghiệp giáo dục", "Giấy khen của Chủ tịch huyện")
	cQualityA = []string{"Luôn", "Bản thân", "Đồng chí", "Trong thời gian công tác,", "Nhìn chung", "Qua kiểm tra,", "Trong năm,", "Về phẩm chất chính trị,", "Về đạo đức, lối sống,"}
	cQualityB = []string{"chấp hành tốt", "nghiêm chỉnh chấp hành", "thực hiện đầy đủ", "nắm vững", "tích cực tuyên truyền", "quán triệt", "vận dụng sáng tạo", "giữ gìn"}
	cQualityC = []string{"chủ trương, đường lối của Đảng", "chính sách, pháp luật của Nhà nước", "nội quy, quy chế của cơ quan", "các quy định về đạo đức công vụ", "nguyên tắc tập trung dân chủ", "quy định về những điều đảng viên không được làm", "nhiệm vụ chuyên môn được giao", "phẩm chất, đạo đức cách mạng"}
	cQualityD = []string{"có tinh thần trách nhiệm cao", "đoàn kết với đồng nghiệp", "có lối sống lành mạnh, giản dị", "không tham nhũng, lãng phí", "được quần chúng tín nhiệm", "hoàn thành tốt nhiệm vụ", "có ý thức tổ chức kỷ luật tốt", "thẳng thắn trong đấu tranh phê bình", "gương mẫu trong công tác", "cần khắc phục tính nóng vội", "cần tăng cường học tập nâng cao trình độ"}
	cRelation = []string{"Bố đẻ", "Mẹ đẻ", "Vợ", "Chồng", "Con", "Anh ruột", "Chị ruột", "Em ruột", "Bố vợ", "Mẹ vợ", "Bố chồng", "Mẹ chồng"}
	cDocTitle = map[domain.DocumentKind][]string{
		domain.KindCV:                 {"Sơ yếu lý lịch", "Lý lịch cán bộ, công chức", "Bản khai lý lịch", "Phiếu bổ sung lý lịch"},
		domain.KindVerification:       {"Biên bản xác minh lý lịch", "Báo cáo kết quả xác minh", "Phiếu xác minh lý lịch"},
		domain.KindPoliticalStandards: {"Kết luận tiêu chuẩn chính trị", "Bản thẩm tra tiêu chuẩn chính trị", "Nhận xét về tiêu chuẩn chính trị"},
		domain.KindLetter:             {"Công văn", "Thư giới thiệu", "Giấy giới thiệu", "Đơn đề nghị"},
		domain.KindDecision:           {"Quyết định bổ nhiệm", "Quyết định điều động", "Quyết định nâng lương", "Quyết định khen thưởng", "Quyết định tuyển dụng"},
		domain.KindOther:              {"Bản nhận xét, đánh giá", "Phiếu đánh giá cán bộ", "Giấy chứng nhận", "Bản kiểm điểm"},
	}
	cDecisionSuffix = []string{"QĐ-UBND", "QĐ-SNV", "QĐ-TU", "QĐ-BTC", "QĐ-SGDĐT", "QĐ-SYT", "QĐ-BCH", "QĐ-CAT"}
)

// Person is a generated person.
type Person struct {
	Family, Middle, Given string
	Female                bool
	Birth                 time.Time
	Commune, District     string
	Province              string
}

func (p Person) Name() string {
	if p.Middle == "" {
		return p.Family + " " + p.Given
	}
	return p.Family + " " + p.Middle + " " + p.Given
}

func randomPerson(rng *rand.Rand, family string, female bool, born int) Person {
	p := Person{Family: family, Female: female}
	if p.Family == "" {
		p.Family = cFamily.pick(rng)
	}
	if female {
		p.Middle, p.Given = cMiddleF.pick(rng), cGivenF.pick(rng)
		if rng.IntN(8) == 0 { // a second middle name: Nguyễn Thị Thu Hương
			p.Middle += " " + cMiddleF.pick(rng)
		}
	} else {
		p.Middle, p.Given = cMiddleM.pick(rng), cGivenM.pick(rng)
		if rng.IntN(12) == 0 {
			p.Middle += " " + cMiddleM.pick(rng)
		}
	}
	for strings.HasSuffix(p.Middle, " "+p.Given) || p.Middle == p.Given {
		if female {
			p.Middle = cMiddleF.pick(rng)
		} else {
			p.Middle = cMiddleM.pick(rng)
		}
	}
	p.Birth = time.Date(born, time.Month(1+rng.IntN(12)), 1+rng.IntN(28), 0, 0, 0, 0, time.UTC)
	p.Commune, p.District, p.Province = place(rng), place(rng), cProvince.pick(rng)
	return p
}

func place(rng *rand.Rand) string {
	a, b := cPlaceSyl.pick(rng), cPlaceSyl.pick(rng)
	for a == b {
		b = cPlaceSyl.pick(rng)
	}
	return a + " " + b
}

// Subject returns the subject and structure of dossier i: its person,
// unit, classification and the page count of each document. It is cheap, so
// query mixes can enumerate every dossier's subject.
type Shape struct {
	Code     string
	Person   Person
	Unit     string
	Class    domain.Classification
	DocPages []int // pages per document
	DocClass []domain.Classification
}

var classes = []domain.Classification{domain.Public, domain.Public, domain.Public, domain.Confidential, domain.Confidential, domain.Secret, domain.TopSecret}

// Subject returns the shape of dossier i. It is cheap, so query mixes can
// enumerate every dossier's subject.
func Subject(i int) Shape {
	rng := rand.New(rand.NewPCG(uint64(i), 1))
	s := Shape{Code: fmt.Sprintf("HS-%04d-%06d", 2000+i%25, i)}
	s.Person = randomPerson(rng, "", rng.IntN(2) == 0, 1950+rng.IntN(50))
	s.Unit = cOffice.pick(rng) + ", " + cAgency.pick(rng)
	s.Class = classes[rng.IntN(len(classes))]
	// 2-6 documents of 1-8 pages: 20 pages a dossier on average
	docs := 2 + rng.IntN(5)
	for range docs {
		s.DocPages = append(s.DocPages, 1+rng.IntN(8))
		c := domain.Classification("")
		if rng.IntN(10) == 0 {
			c = domain.Secret
		}
		s.DocClass = append(s.DocClass, c)
	}
	// scale to 20 pages on average: 4 documents x 4.5 pages = 18 on
	// average, so one dossier in ten gets an extra long document
	if rng.IntN(10) < 1 {
		s.DocPages = append(s.DocPages, 20)
		s.DocClass = append(s.DocClass, "")
	}
	return s
}

// Pages is the exact number of pages in dossiers [0, n).
func Pages(n int) int {
	t := 0
	for i := range n {
		for _, p := range Subject(i).DocPages {
			t += p
		}
	}
	return t
}

// pageWriter assembles page text.
type pageWriter struct {
	b     strings.Builder
	rng   *rand.Rand
	words int
}

func (w *pageWriter) line(parts ...string) {
	space := true
	for _, p := range parts {
		w.b.WriteString(p)
		for i := 0; i < len(p); i++ {
			if p[i] == ' ' {
				space = true
			} else if space {
				w.words++
				space = false
			}
		}
	}
	w.b.WriteByte('\n')
}

func (w *pageWriter) date(t time.Time) string {
	switch w.rng.IntN(3) {
	case 0:
		return fmt.Sprintf("ngày %d tháng %d năm %d", t.Day(), t.Month(), t.Year())
	case 1:
		return fmt.Sprintf("%02d/%02d/%d", t.Day(), t.Month(), t.Year())
	}
	return fmt.Sprintf("ngày %02d/%02d/%d", t.Day(), t.Month(), t.Year())
}

func (w *pageWriter) randDate(from, to int) time.Time {
	return time.Date(from+w.rng.IntN(max(1, to-from+1)), time.Month(1+w.rng.IntN(12)), 1+w.rng.IntN(28), 0, 0, 0, 0, time.UTC)
}

func pickS(rng *rand.Rand, s []string) string { return s[rng.IntN(len(s))] }

// page writes about words words of page text of the given kind about p.
func page(rng *rand.Rand, s *Shape, kind domain.DocumentKind, docDate time.Time, pageNo, words int, w *pageWriter) string {
	w.b.Reset()
	w.rng, w.words = rng, 0
	p := s.Person
	ho := "ông"
	if p.Female {
		ho = "bà"
	}
	if pageNo == 1 {
		w.line("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM")
		w.line("Độc lập - Tự do - Hạnh phúc")
		if kind == domain.KindDecision || kind == domain.KindLetter {
			w.line("Số: ", strconv.Itoa(1+rng.IntN(3000)), "/", pickS(rng, cDecisionSuffix), "    ", p.Province, ", ", w.date(docDate))
		}
		w.line(strings.ToUpper(pickS(rng, cDocTitle[kind])))
	}
	for w.words < words {
		switch kind {
		case domain.KindCV:
			cvLine(w, s)
		case domain.KindVerification:
			verifyLine(w, s, ho)
		case domain.KindPoliticalStandards:
			standardsLine(w, s, ho)
		case domain.KindDecision:
			decisionLine(w, s, ho)
		default:
			if rng.IntN(2) == 0 {
				assessLine(w, s, ho)
			} else {
				cvLine(w, s)
			}
		}
	}
	text := w.b.String()
	return ocrNoise(rng, text)
}

func relative(w *pageWriter, s *Shape) (string, Person) {
	p := s.Person
	rel := pickS(w.rng, cRelation)
	by := p.Birth.Year()
	switch rel {
	case "Bố đẻ", "Mẹ đẻ":
		fam := p.Family
		if rel == "Mẹ đẻ" {
			fam = ""
		}
		return rel, randomPerson(w.rng, fam, rel == "Mẹ đẻ", by-20-w.rng.IntN(15))
	case "Con":
		fam := p.Family
		if p.Female {
			fam = ""
		}
		return rel, randomPerson(w.rng, fam, w.rng.IntN(2) == 0, by+20+w.rng.IntN(15))
	case "Anh ruột", "Chị ruột", "Em ruột":
		return rel, randomPerson(w.rng, p.Family, rel == "Chị ruột", by-8+w.rng.IntN(16))
	case "Vợ", "Chồng":
		return rel, randomPerson(w.rng, "", rel == "Vợ", by-5+w.rng.IntN(10))
	}
	return rel, randomPerson(w.rng, "", strings.HasPrefix(rel, "Mẹ"), by-25-w.rng.IntN(10))
}

func cvLine(w *pageWriter, s *Shape) {
	p, rng := s.Person, w.rng
	switch rng.IntN(16) {
	case 0:
		w.line("Họ và tên khai sinh: ", strings.ToUpper(p.Name()), "    Giới tính: ", map[bool]string{true: "Nữ", false: "Nam"}[p.Female])
	case 1:
		w.line("Sinh ngày: ", w.date(p.Birth), "    Nơi sinh: xã ", p.Commune, ", huyện ", p.District, ", tỉnh ", p.Province)
	case 2:
		w.line("Quê quán: xã ", p.Commune, ", huyện ", p.District, ", tỉnh ", p.Province)
	case 3:
		w.line("Nơi ở hiện nay: số ", strconv.Itoa(1+rng.IntN(300)), " đường ", place(rng), ", phường ", place(rng), ", ", cProvince.pick(rng))
	case 4:
		w.line("Số CCCD: 0", strconv.Itoa(10000000000+rng.IntN(89999999999)), " cấp ngày ", w.date(w.randDate(2016, 2023)), " tại Cục Cảnh sát quản lý hành chính về trật tự xã hội")
	case 5:
		w.line("Trình độ chuyên môn: ", cDegree.pick(rng), " ", cMajor.pick(rng), ", ", cSchool.pick(rng), ", năm tốt nghiệp ", strconv.Itoa(p.Birth.Year()+22+rng.IntN(8)))
	case 6:
		w.line("Lý luận chính trị: ", pickS(rng, []string{"Cao cấp", "Trung cấp", "Sơ cấp", "Cử nhân"}), "    Ngoại ngữ: ", pickS(rng, []string{"Tiếng Anh trình độ B", "Tiếng Anh B1", "Tiếng Nga trình độ C", "Tiếng Pháp trình độ A", "Tiếng Trung B"}), "    Tin học: ", pickS(rng, []string{"trình độ A", "trình độ B", "cơ bản", "nâng cao"}))
	case 7:
		w.line("Ngày vào Đảng Cộng sản Việt Nam: ", w.date(w.randDate(p.Birth.Year()+20, p.Birth.Year()+40)), ", ngày chính thức: ", w.date(w.randDate(p.Birth.Year()+21, p.Birth.Year()+41)))
	case 8, 9, 10:
		from := p.Birth.Year() + 20 + rng.IntN(25)
		w.line("Từ tháng ", strconv.Itoa(1+rng.IntN(12)), "/", strconv.Itoa(from), " đến tháng ", strconv.Itoa(1+rng.IntN(12)), "/", strconv.Itoa(from+1+rng.IntN(8)), ": ", cPosition.pick(rng), " ", cOffice.pick(rng), ", ", cAgency.pick(rng), " ", cProvince.pick(rng))
	case 11, 12, 13:
		rel, r := relative(w, s)
		w.line(rel, ": ", r.Name(), ", sinh năm ", strconv.Itoa(r.Birth.Year()), ", quê quán ", r.Commune, ", ", r.Province, ", nghề nghiệp: ", cJob.pick(rng), ", hiện ở ", r.District, ", ", r.Province)
	case 14:
		w.line("Khen thưởng: ", cAward.pick(rng), " năm ", strconv.Itoa(1995+rng.IntN(30)), "    Kỷ luật: ", pickS(rng, []string{"không", "không", "không", "khiển trách năm " + strconv.Itoa(2000+rng.IntN(24))}))
	default:
		w.line("Tôi xin cam đoan những lời khai trên là đúng sự thật, nếu có điều gì sai tôi xin chịu trách nhiệm trước pháp luật.")
		w.line(p.Province, ", ", w.date(w.randDate(1995, 2024)), "    Người khai ký tên: ", p.Name())
	}
}

func verifyLine(w *pageWriter, s *Shape, ho string) {
	p, rng := s.Person, w.rng
	switch rng.IntN(8) {
	case 0:
		w.line("Hôm nay, ", w.date(w.randDate(1995, 2024)), ", tại trụ sở Ủy ban nhân dân xã ", p.Commune, ", huyện ", p.District, ", tỉnh ", p.Province, ", chúng tôi gồm:")
	case 1, 2:
		r := randomPerson(rng, "", rng.IntN(3) == 0, 1950+rng.IntN(30))
		w.line(pickS(rng, []string{"Ông", "Bà", "Đồng chí"}), " ", r.Name(), ", ", cPosition.pick(rng), " ", cOffice.pick(rng), ", ", cAgency.pick(rng))
	case 3:
		w.line("Đã tiến hành xác minh lý lịch của ", ho, " ", p.Name(), ", sinh ", w.date(p.Birth), ", hiện công tác tại ", s.Unit)
	case 4:
		rel, r := relative(w, s)
		w.line("Về ", strings.ToLower(rel), ": ", r.Name(), ", sinh năm ", strconv.Itoa(r.Birth.Year()), ", ", cJob.pick(rng), ", trong quá trình sinh sống tại địa phương chấp hành tốt chủ trương của Đảng, chính sách pháp luật của Nhà nước")
	case 5:
		w.line("Qua xác minh tại địa phương, gia đình ", ho, " ", p.Name(), " không có ai vi phạm pháp luật, không có người tham gia tổ chức phản động, lý lịch rõ ràng.")
	case 6:
		assessLine(w, s, ho)
	default:
		r := randomPerson(rng, "", false, 1950+rng.IntN(30))
		w.line("TM. ỦY BAN NHÂN DÂN XÃ ", strings.ToUpper(p.Commune), "    ", pickS(rng, []string{"CHỦ TỊCH", "PHÓ CHỦ TỊCH"}), "    ", r.Name())
	}
}

func standardsLine(w *pageWriter, s *Shape, ho string) {
	p, rng := s.Person, w.rng
	switch rng.IntN(7) {
	case 0:
		w.line("Căn cứ Quy định số ", strconv.Itoa(50+rng.IntN(200)), "-QĐ/TW ngày ", w.date(w.randDate(2007, 2023)), " của Bộ Chính trị về bảo vệ chính trị nội bộ Đảng;")
	case 1:
		w.line("Kết luận về tiêu chuẩn chính trị của ", ho, " ", p.Name(), ", ", cPosition.pick(rng), " ", s.Unit, ":")
	case 2:
		w.line("Lịch sử chính trị của bản thân: rõ ràng, không vi phạm các quy định của Đảng, pháp luật của Nhà nước.")
	case 3:
		rel, r := relative(w, s)
		w.line("Quan hệ gia đình: ", strings.ToLower(rel), " ", r.Name(), " (", strconv.Itoa(r.Birth.Year()), ") ", pickS(rng, []string{"là đảng viên", "là quần chúng", "đã từ trần", "là cựu chiến binh", "có lịch sử chính trị rõ ràng"}), ".")
	case 4:
		w.line("Kết luận: ", ho, " ", p.Name(), " ", pickS(rng, []string{"đủ tiêu chuẩn chính trị", "đủ tiêu chuẩn chính trị để bổ nhiệm", "đủ điều kiện để xem xét kết nạp vào Đảng", "đủ tiêu chuẩn để cử đi học tập ở nước ngoài"}), " theo quy định.")
	default:
		assessLine(w, s, ho)
	}
}

func decisionLine(w *pageWriter, s *Shape, ho string) {
	p, rng := s.Person, w.rng
	switch rng.IntN(8) {
	case 0:
		w.line("Căn cứ Luật Cán bộ, công chức ngày ", w.date(w.randDate(2008, 2019)), ";")
	case 1:
		w.line("Căn cứ Nghị định số ", strconv.Itoa(10+rng.IntN(180)), "/", strconv.Itoa(2005+rng.IntN(19)), "/NĐ-CP của Chính phủ quy định về ", pickS(rng, []string{"tuyển dụng, sử dụng và quản lý công chức", "chế độ tiền lương", "đánh giá, xếp loại chất lượng cán bộ", "vị trí việc làm", "xử lý kỷ luật cán bộ, công chức"}), ";")
	case 2:
		w.line("Xét đề nghị của ", cOffice.pick(rng), " ", cAgency.pick(rng), " tại Tờ trình số ", strconv.Itoa(1+rng.IntN(900)), "/TTr ngày ", w.date(w.randDate(1995, 2024)), ",")
	case 3:
		w.line("Điều 1. ", pickS(rng, []string{"Bổ nhiệm", "Điều động", "Tiếp nhận", "Nâng bậc lương đối với", "Khen thưởng"}), " ", ho, " ", p.Name(), ", sinh ", w.date(p.Birth), ", ", cPosition.pick(rng), " ", cOffice.pick(rng), " giữ chức vụ ", cPosition.pick(rng), " ", s.Unit, ", kể từ ", w.date(w.randDate(1995, 2024)), ".")
	case 4:
		w.line("Điều 2. ", ho, " ", p.Name(), " được hưởng hệ số lương ", strconv.Itoa(2+rng.IntN(5)), ",", strconv.Itoa(10+rng.IntN(89)), " và phụ cấp chức vụ ", "0,", strconv.Itoa(1+rng.IntN(9)), " theo quy định hiện hành.")
	case 5:
		w.line("Điều 3. Chánh Văn phòng, Trưởng ", cOffice.pick(rng), ", Thủ trưởng các cơ quan, đơn vị có liên quan và ", ho, " ", p.Name(), " chịu trách nhiệm thi hành Quyết định này./.")
	case 6:
		w.line("Nơi nhận: Như Điều 3; ", cAgency.pick(rng), "; Lưu: VT, ", pickS(rng, []string{"TCCB", "NV", "HS"}), ".")
	default:
		r := randomPerson(rng, "", rng.IntN(4) == 0, 1955+rng.IntN(20))
		w.line(pickS(rng, []string{"GIÁM ĐỐC", "CHỦ TỊCH", "KT. GIÁM ĐỐC PHÓ GIÁM ĐỐC", "KT. CHỦ TỊCH PHÓ CHỦ TỊCH"}), "    (đã ký)    ", r.Name())
	}
}

func assessLine(w *pageWriter, s *Shape, ho string) {
	rng := w.rng
	switch rng.IntN(4) {
	case 0:
		w.line("Năm ", strconv.Itoa(2000+rng.IntN(25)), ", ", ho, " ", s.Person.Name(), " được đánh giá, xếp loại ", pickS(rng, []string{"hoàn thành xuất sắc nhiệm vụ", "hoàn thành tốt nhiệm vụ", "hoàn thành nhiệm vụ", "hoàn thành nhiệm vụ nhưng còn hạn chế về năng lực"}), ".")
	default:
		w.line(pickS(rng, cQualityA), " ", pickS(rng, cQualityB), " ", pickS(rng, cQualityC), ", ", pickS(rng, cQualityD), "; ", pickS(rng, cQualityD), ".")
	}
}

// ocrNoise damages about one word in 60: its diacritics are lost (OCR
// often misses the marks) or one letter is misread.
func ocrNoise(rng *rand.Rand, text string) string {
	var b strings.Builder
	b.Grow(len(text))
	start := 0
	for i := 0; i <= len(text); i++ {
		if i < len(text) && text[i] != ' ' && text[i] != '\n' {
			continue
		}
		word := text[start:i]
		if len(word) > 1 && rng.IntN(60) == 0 {
			if rng.IntN(3) > 0 {
				word = Fold(word)
			} else {
				r := []rune(word)
				r[rng.IntN(len(r))] = []rune("aoeilnrcmuđ")[rng.IntN(11)]
				word = string(r)
			}
		}
		b.WriteString(word)
		if i < len(text) {
			b.WriteByte(text[i])
		}
		start = i + 1
	}
	return b.String()
}

// Dossier generates dossier i of the corpus: 2-7 documents of 1-20
// pages (20 pages a dossier on average), 150-550 words a page (350 on
// average), deterministic in i.
func Dossier(i int) *domain.Dossier {
	s := Subject(i)
	rng := rand.New(rand.NewPCG(uint64(i), 2))
	p := s.Person
	d := &domain.Dossier{
		Code: s.Code, Version: 1, Unit: s.Unit, Classification: s.Class,
		Subject: domain.Subject{FullName: p.Name(), BirthDate: domain.Date{Time: p.Birth}, Hometown: p.Province},
	}
	kinds := domain.DocumentKinds
	var w pageWriter
	for j, n := range s.DocPages {
		kind := kinds[rng.IntN(len(kinds))]
		if j == 0 {
			kind = domain.KindCV
		}
		date := time.Date(max(p.Birth.Year()+20, 1990)+rng.IntN(15), time.Month(1+rng.IntN(12)), 1+rng.IntN(28), 0, 0, 0, 0, time.UTC)
		doc := domain.Document{
			ID: "d" + strconv.Itoa(j+1), Kind: kind, Title: pickS(rng, cDocTitle[kind]) + " " + p.Name(),
			Date: domain.Date{Time: date}, Classification: s.DocClass[j],
		}
		for pn := 1; pn <= n; pn++ {
			text := page(rng, &s, kind, date, pn, 150+rng.IntN(401), &w)
			doc.Pages = append(doc.Pages, domain.Page{
				Number: pn, TextKey: "texts/" + s.Code + "/" + doc.ID + "/" + strconv.Itoa(pn) + ".json",
				MeanConfidence: 80 + rng.Float64()*20, Text: &domain.OCRResult{Source: "ocr", Text: text},
			})
		}
		d.Documents = append(d.Documents, doc)
	}
	return d
}

// Dossiers returns the number of dossiers, from the first, that hold at
// least pages pages.
func Dossiers(pages int) int {
	t, i := 0, 0
	for ; t < pages; i++ {
		for _, p := range Subject(i).DocPages {
			t += p
		}
	}
	return i
}

// Fold lowers nothing and strips diacritics, đ and Đ becoming d and D: a
// word as typed without a Vietnamese keyboard, or as OCR that missed the
// marks reads it.
func Fold(s string) string {
	var b strings.Builder
	for _, r := range norm.NFD.String(s) {
		switch {
		case unicode.Is(unicode.Mn, r):
		case r == 'đ':
			b.WriteByte('d')
		case r == 'Đ':
			b.WriteByte('D')
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// Queries are the query mixes, by kind, for an index holding the first n
// dossiers of the corpus, searched with secret clearance. Subjects are
// drawn at random from the dossiers a secret clearance sees, so common
// family names (Nguyễn, Trần, Lê) come up as often as they do in life; one
// query in five names a person nobody in the corpus is (a given name the
// generator never uses), which finds nothing exact and runs the fuzzy
// fallback. Kinds: name (a subject's full name as words, with or without
// diacritics), phrase (the same quoted), filter (words with unit, birth,
// kind and date filters), fuzzy (words with ~), fallback (a misspelled
// given name: the automatic fuzzy retry) and common-phrase (phrases of the
// body text on many pages).
func Queries(n int) map[string][]string {
	rng := rand.New(rand.NewPCG(7, 7))
	var visible []Shape
	for i := range n {
		if s := Subject(i); s.Class.Level() <= domain.Secret.Level() {
			visible = append(visible, s)
		}
	}
	missing := []string{"Khôi", "Thiều", "Nhượng", "Quán", "Tạo", "Khuyến", "Sửu", "Dậu"}
	q := map[string][]string{}
	lower := func(s string) string { return strings.ToLower(Fold(s)) }
	for k := range 20 {
		s := visible[rng.IntN(len(visible))]
		p := s.Person
		name := p.Name()
		if k%5 == 4 {
			name = p.Family + " " + p.Middle + " " + missing[rng.IntN(len(missing))]
		}
		if k%2 == 0 {
			q["name"] = append(q["name"], name)
		} else {
			q["name"] = append(q["name"], lower(name))
		}
		q["phrase"] = append(q["phrase"], strconv.Quote(name))
		agency := s.Unit[strings.Index(s.Unit, ", ")+2:]
		dec := p.Birth.Year() / 10 * 10
		q["filter"] = append(q["filter"], fmt.Sprintf("%s unit:%q born:%d..%d", lower(p.Given), agency, dec, dec+9),
			fmt.Sprintf("kind:cv date:>%d name:%s", 2000+rng.IntN(20), strings.ToLower(p.Given)))
		q["fuzzy"] = append(q["fuzzy"], lower(p.Family)+"~ "+lower(p.Given)+"~")
		// a misspelled name: nothing exact, the automatic fuzzy retry runs
		g := lower(p.Given)
		q["fallback"] = append(q["fallback"], g[:len(g)-1]+"x "+lower(p.Family))
	}
	// phrases of the body text that occur on many pages
	q["common-phrase"] = []string{`"tiêu chuẩn chính trị"`, `"Đại học Quốc gia Hà Nội"`, `"hoàn thành tốt nhiệm vụ"`,
		`"chấp hành tốt chủ trương"`, `"Sở Nội vụ"`, `"nguyen van"`}
	return q
}

// Kinds are the kinds of Queries, in the order reports list them.
var Kinds = []string{"name", "phrase", "filter", "fuzzy", "fallback", "common-phrase"}
