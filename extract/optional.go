package extract

import (
	"regexp"

	"github.com/ledongthuc/pdf"
)

// Optional content (layers) for the ledongthuc engine.
//
// A document can draw the same passage several times in optional content
// groups and show one of them: microtype's manual sets a quotation four
// times (character protrusion and font expansion on and off) and shows the
// one its default configuration turns on. Read as drawn, the passage came
// out four times. Content marked with an optional content group (or a
// membership dictionary over groups) that the document's default
// configuration turns off is not read, as viewers, pdftotext and MuPDF do
// not show it: `/OC /Name BDC … EMC` sequences in content streams and form
// XObjects with an /OC entry. Text state still advances inside hidden
// content.

// refPattern finds the references ("12 0 R") in a printed value.
var refPattern = regexp.MustCompile(`\b(\d+) (\d+) R\b`)

// refsIn returns the references a printed value holds, as a set.
func refsIn(printed string) map[string]bool {
	m := map[string]bool{}
	for _, r := range refPattern.FindAllString(printed, 1<<16) {
		m[r] = true
	}
	return m
}

// optionalContent is the visibility of a document's optional content
// groups under its default configuration.
type optionalContent struct {
	off map[string]bool // references of the groups turned off
}

// readOptionalContent reads the catalog's /OCProperties; nil when the
// document has no optional content or turns every group on.
func readOptionalContent(r *pdf.Reader) (oc *optionalContent) {
	defer func() {
		if recover() != nil {
			oc = nil
		}
	}()
	props := r.Trailer().Key("Root").Key("OCProperties")
	if props.IsNull() {
		return nil
	}
	groups := refsIn(props.Key("OCGs").String())
	d := props.Key("D")
	off := map[string]bool{}
	if d.Key("BaseState").Name() == "OFF" {
		on := refsIn(d.Key("ON").String())
		for g := range groups {
			if !on[g] {
				off[g] = true
			}
		}
	} else {
		for g := range refsIn(d.Key("OFF").String()) {
			off[g] = true
		}
	}
	if len(off) == 0 {
		return nil
	}
	return &optionalContent{off: off}
}

// hidden reports whether content marked with v, an optional content group
// or membership dictionary whose reference (when it is one) is ref, is
// turned off.
func (oc *optionalContent) hidden(ref string, v pdf.Value) bool {
	if oc == nil {
		return false
	}
	if oc.off[ref] {
		return true
	}
	if v.Key("Type").Name() != "OCMD" {
		return false
	}
	// A membership dictionary: its groups and policy (AnyOn by default).
	groups := refsIn(v.Key("OCGs").String())
	if len(groups) == 0 {
		return false
	}
	on := 0
	for g := range groups {
		if !oc.off[g] {
			on++
		}
	}
	switch v.Key("P").Name() {
	case "AllOn":
		return on < len(groups)
	case "AnyOff":
		return on == len(groups)
	case "AllOff":
		return on > 0
	}
	return on == 0 // AnyOn
}

// markedHidden reports whether a BDC operator with tag and property name
// opens hidden content, looking the name up in res's /Properties.
func (oc *optionalContent) markedHidden(tag, name string, res pdf.Value) bool {
	if oc == nil || tag != "OC" || name == "" {
		return false
	}
	props := res.Key("Properties")
	return oc.hidden(refIn(props.String(), name), props.Key(name))
}

// formHidden reports whether a form XObject carries an /OC entry that is
// turned off.
func (oc *optionalContent) formHidden(xo pdf.Value) bool {
	if oc == nil {
		return false
	}
	v := xo.Key("OC")
	if v.IsNull() {
		return false
	}
	// A stream prints as its dictionary, then "@offset".
	return oc.hidden(refIn(xo.String(), "OC"), v)
}
