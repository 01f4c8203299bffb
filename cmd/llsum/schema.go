package main

import (
	"github.com/llsum/llsum/internal/structured"
	"github.com/llsum/llsum/pipeline"
)

// finalizeSchema reads and checks --schema before any document is read: a
// file that is not a JSON Schema, uses a keyword llsum cannot enforce, or
// comes with the extractive backend is a usage error.
func (o *runOptions) finalizeSchema() error {
	if o.Schema == "" {
		return nil
	}
	b := o.Backend.backend // picked by Backend.Finalize
	if b == backendExtractive {
		return usagef("--schema needs a language model (--backend onnx or openai): the extractive backend picks sentences and cannot fill a schema")
	}
	s, err := structured.Load(o.Schema)
	if err != nil {
		return usagef("--schema: %w", err)
	}
	if n := s.Shortest(); o.MaxNewTokens < n && b == backendONNX {
		return usagef("--max-new-tokens %d is too few for --schema %s: its shortest valid value takes up to %d tokens", o.MaxNewTokens, o.Schema, n)
	}
	o.schema = s
	return nil
}

// schemaParams applies --schema and --citations to the run's parameters.
func schemaParams(p *pipeline.Parameters, opts runOptions) {
	p.NoCitations = !opts.Citations
	if s := opts.schema; s != nil {
		p.SchemaDoc, p.Schema = s, s.Name+" "+s.Digest()
	}
}
