package domain

import (
	"encoding/json"
	"errors"
	"testing"
)

func TestDateJSON(t *testing.T) {
	type rec struct {
		D Date `json:"d"`
		E Date `json:"e,omitzero"`
	}
	d, err := ParseDate("2019-05-02")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(rec{D: d})
	if string(b) != `{"d":"2019-05-02"}` {
		t.Fatalf("marshal: %s", b)
	}
	for _, in := range []string{`{"d":"2019-05-02"}`, `{"d":"2019-05-02T00:00:00Z"}`} {
		var r rec
		if err := json.Unmarshal([]byte(in), &r); err != nil || r.D != d {
			t.Errorf("unmarshal %s: %v %v", in, r.D, err)
		}
	}
	var r rec
	if err := json.Unmarshal([]byte(`{"d":"02/05/2019"}`), &r); err == nil {
		t.Error("bad date accepted")
	}
	if err := json.Unmarshal([]byte(`{"d":""}`), &r); err != nil || !r.D.IsZero() {
		t.Errorf("empty date: %v %v", r.D, err)
	}
}

func TestClassification(t *testing.T) {
	for _, tc := range []struct {
		reader, record Classification
		ok             bool
	}{
		{Secret, Confidential, true}, {Secret, Secret, true}, {Secret, TopSecret, false},
		{Public, Public, true}, {"", Public, false}, {TopSecret, "bogus", false},
	} {
		if got := tc.reader.Allows(tc.record); got != tc.ok {
			t.Errorf("%q allows %q = %v", tc.reader, tc.record, got)
		}
	}
	if c, err := ParseClassification(" Top_Secret "); err != nil || c != TopSecret {
		t.Errorf("parse: %v %v", c, err)
	}
	if Stricter(Confidential, "") != Confidential || Stricter(Public, Secret) != Secret {
		t.Error("stricter")
	}
}

func TestValidate(t *testing.T) {
	d := &Dossier{Code: " hs-1 ", Subject: Subject{FullName: "A"}, Classification: Public,
		Documents: []Document{{ID: "a", Kind: KindCV, Original: Original{Key: "k", SHA256: "0123456789012345678901234567890123456789012345678901234567890123"}, Pages: []Page{{Number: 1, ImageKey: "i"}}}}}
	if err := d.Validate(); err != nil || d.Code != "HS-1" {
		t.Fatalf("%v %q", err, d.Code)
	}
	d.Documents[0].Pages[0].Number = 2
	var fe *FieldError
	if err := d.Validate(); !errors.As(err, &fe) || fe.Field != "documents[0].pages[0].number" || !errors.Is(err, ErrInvalid) {
		t.Fatalf("%v", err)
	}
}
