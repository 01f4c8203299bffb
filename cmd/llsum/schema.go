package main

import (
	"github.com/llsum/llsum/internal/structured"
	"github.com/llsum/llsum/pipeline"
)

// schemaParams applies --schema and --citations. The schema is read and
// checked before any document is: a file that is not a JSON Schema, uses a
// keyword llsum cannot enforce, or comes with the extractive backend is a
// usage error.
func schemaParams(p *pipeline.Parameters, opts runOptions) error {
	p.NoCitations = !opts.Citations
	if opts.Schema == "" {
		return nil
	}
	b, err := opts.Backend.resolve()
	if err != nil {
		return err
	}
	if b == backendExtractive {
		return usageErrorf("--schema needs a language model (--backend onnx or openai): the extractive backend picks sentences and cannot fill a schema")
	}
	s, err := structured.Load(opts.Schema)
	if err != nil {
		return usageErrorf("--schema: %v", err)
	}
	if n := s.Shortest(); opts.MaxNewTokens < n && b == backendONNX {
		return usageErrorf("--max-new-tokens %d is too few for --schema %s: its shortest valid value takes up to %d tokens", opts.MaxNewTokens, opts.Schema, n)
	}
	p.SchemaDoc, p.Schema = s, s.Name+" "+s.Digest()
	return nil
}
