package browsertest

import (
	"testing"

	"hoso/domain"
)

// The example archive of SeedExamples: one person in a public and a
// confidential dossier, another person in a secret dossier that also
// names the first.
const (
	PublicCode       = "HS-2019-000001"
	ConfidentialCode = "HS-2021-000002"
	SecretCode       = "HS-2020-000003"
	Person           = "Nguyễn Văn Thành"
	PersonBorn       = "1975-05-02"
	SecretUnit       = "Cục An ninh"
)

// SeedExamples commits the example archive.
func (e *Env) SeedExamples(t testing.TB) {
	t.Helper()
	e.Seed(t, SeedDossier{Code: PublicCode, Name: Person, Born: PersonBorn, Unit: "Sở Nội vụ", Hometown: "Nghệ An",
		Class: domain.Public, Docs: []SeedDocument{{ID: "d1", Kind: "cv", Title: "Sơ yếu lý lịch", Date: "2019-05-02",
			Pages: []SeedPage{
				{Text: "SƠ YẾU LÝ LỊCH\nHọ và tên: Nguyễn Văn Thành\nSinh ngày 02/05/1975 tại Nghệ An", Conf: 91},
				{Text: "Quá trình công tác\nNăm 2001 về công tác tại Sở Nội vụ", Conf: 45},
			}}}})
	e.Seed(t, SeedDossier{Code: ConfidentialCode, Name: Person, Born: PersonBorn, Unit: "Sở Tài chính",
		Class: domain.Confidential, Docs: []SeedDocument{{ID: "d1", Kind: "decision", Title: "Quyết định bổ nhiệm", Date: "2021-03-01",
			Pages: []SeedPage{{Text: "QUYẾT ĐỊNH\nBổ nhiệm ông Nguyễn Văn Thành giữ chức Phó Giám đốc", Conf: 88}}}}})
	e.Seed(t, SeedDossier{Code: SecretCode, Name: "Trần Thị Hoa", Born: "1980-01-09", Unit: SecretUnit,
		Class: domain.Secret, Docs: []SeedDocument{{ID: "d1", Kind: "verification-report", Title: "Báo cáo xác minh", Date: "2020-07-15",
			Pages: []SeedPage{{Text: "BÁO CÁO XÁC MINH\nVề quan hệ giữa Trần Thị Hoa và Nguyễn Văn Thành", Conf: 50}}}}})
}
