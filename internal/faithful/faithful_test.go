package faithful

import (
	"strings"
	"testing"
)

const contract = `SERVICE AGREEMENT

This agreement is made on 12 March 2024 between Acme GmbH, Berlin, and Example Ltd, London.
Acme provides hosting for 24 months at a fee of EUR 1.200 per month (VAT excluded), 14.5% less than in 2023.
Either party may terminate with ninety days' notice; the first review is due on 2024-09-30.
Signed by Maria Lopez for Acme and John Smith for Example.
[page 3]`

// TestPlantedErrors: every planted error is caught, with its kind and span;
// the faithful sentences around them are not flagged.
func TestPlantedErrors(t *testing.T) {
	src := NewSource(contract)
	for _, c := range []struct {
		summary string
		want    []Warning
	}{
		{"Acme GmbH and Example Ltd signed on 12 March 2024. Hosting costs €1,200 a month for 24 months [p. 3].", nil},
		{"The agreement of March 12, 2024 runs 24 months; the fee is 1200 EUR, 14,5 % below 2023. Review: 30/09/2024.", nil},
		{"Three parties? No: two. Maria Lopez and John Smith signed.", nil},
		{"Hosting costs €1,500 a month.", []Warning{{KindAmount, "€1,500", 14}}},
		{"The term is 36 months.", []Warning{{KindNumber, "36", 12}}},
		{"It was signed on 14 March 2024.", []Warning{{KindDate, "14 March 2024", 17}}},
		{"It ends on 2025-01-31 unless renewed.", []Warning{{KindDate, "2025-01-31", 11}}},
		{"Signed by Peter Miller for Acme.", []Warning{{KindName, "Peter Miller", 10}}},
		{"The fee is 14.5% lower, says Globex Corporation.", []Warning{{KindName, "Globex Corporation", 29}}},
	} {
		got := src.Check(c.summary)
		if len(got) != len(c.want) {
			t.Errorf("%q: got %v, want %v", c.summary, got, c.want)
			continue
		}
		for i := range got {
			if got[i] != c.want[i] {
				t.Errorf("%q: got %+v, want %+v", c.summary, got[i], c.want[i])
			}
			if c.summary[got[i].Offset:got[i].Offset+len(got[i].Span)] != got[i].Span {
				t.Errorf("offset %d does not point at %q", got[i].Offset, got[i].Span)
			}
		}
	}
}

func TestNumberValues(t *testing.T) {
	for tok, want := range map[string]string{"1,200": "1200", "1.200": "1200", "1 200": "", "1,5": "1.5", "007": "7", "2.50": "2.5"} {
		if want == "" {
			continue
		}
		if got := numberValues(tok); !strings.Contains(strings.Join(got, " "), want) {
			t.Errorf("%s: %v lacks %s", tok, got, want)
		}
	}
}
