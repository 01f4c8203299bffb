package summarize

import (
	"bytes"
	"encoding/json"

	"github.com/llsum/llsum/internal/structured"
)

// schemaPrompts turns a style's prompts into prompts for one JSON value
// valid against s (--schema). The whole-document and map calls ask for the
// value of their text (a map call's value covers its part only); the reduce
// calls merge the parts' values into one value of the same schema. The
// model is constrained to the schema either way (ONNX engine) or the answer
// is validated (OpenAI-compatible servers); the prompt says what the fields
// mean.
func schemaPrompts(p prompts, s *structured.Schema, kind int) prompts {
	var compact bytes.Buffer
	if err := json.Compact(&compact, s.Raw()); err != nil {
		compact.Write(s.Raw())
	}
	answer := " Answer with one JSON value valid against this JSON Schema, and nothing else (no prose, no code fence):\n" + compact.String()
	merge := "The text holds JSON values, each headed by the part of the document it describes; every value is valid against the JSON Schema below. " +
		"Merge them into one JSON value valid against the same schema: combine the lists of all parts and drop duplicates, " +
		"keep the facts, names, numbers and dates exactly as the parts give them, and pick the value that describes the whole where a part's value is only about itself."
	if kind == kindDigest {
		merge = "The text holds JSON values, each headed by the file name of the document it describes; every value is valid against the JSON Schema below. " +
			"Merge them into one JSON value valid against the same schema that covers all the documents: combine their lists and drop duplicates."
	}
	return prompts{
		whole:  p.whole + answer,
		mapper: p.mapper + answer,
		reduce: merge + answer,
		final:  merge + answer,
	}
}
