package pipeline

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"path"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/llsum/llsum/infer"
	"github.com/llsum/llsum/internal/faithful"
	"github.com/llsum/llsum/internal/structured"
	"github.com/llsum/llsum/internal/textutil"
	sumz "github.com/llsum/llsum/summarize"
	"github.com/llsum/llsum/summarize/cite"
)

// SchemaVersion is the version of the per-document JSON and of index.json.
// It changes only when a field changes meaning or disappears.
const SchemaVersion = 1

// DocumentJSON is the per-document JSON output (NAME.json beside NAME.md).
type DocumentJSON struct {
	SchemaVersion int    `json:"schema_version"`
	Source        string `json:"source"` // relative to its input root, slash-separated
	SHA256        string `json:"sha256"`
	Bytes         int64  `json:"bytes"`
	Pages         int    `json:"pages"`
	Characters    int    `json:"characters"`
	Title         string `json:"title,omitempty"`
	// Backend repeats Model.Backend at the top level for quick filtering.
	Backend    string          `json:"backend"`
	Model      infer.ModelInfo `json:"model"`
	Parameters Parameters      `json:"parameters"`
	Summary    string          `json:"summary"`
	// Structured is the summary as a JSON value valid against --schema
	// (Summary then holds its Markdown rendering).
	Structured json.RawMessage `json:"structured,omitempty"`
	// Citations are the summary's points with the pages each cites.
	Citations []cite.Point `json:"citations,omitempty"`
	// Faithfulness lists the numbers, amounts, dates and names of the
	// summary that the document does not contain (also in Warnings).
	Faithfulness []faithful.Warning `json:"faithfulness,omitempty"`
	Chunks       []ChunkJSON        `json:"chunks,omitempty"`
	// Levels is the reduce tree above the chunks, from the bottom up: each
	// level's groups say which summaries of the level below they combined.
	Levels []sumz.Level `json:"levels,omitempty"`
	// Budget is the document-text tokens one model call could take.
	Budget   int         `json:"budget,omitempty"`
	Warnings []string    `json:"warnings,omitempty"`
	Timings  Timings     `json:"timings"`
	Tokens   TokenCounts `json:"tokens"`
	Created  time.Time   `json:"created"`

	// Language is the code of the language detected in the document's text
	// (Parameters.Lang is the one asked for).
	Language string `json:"language,omitempty"`
}

// ChunkJSON is one chunk of a document too long for one model call.
type ChunkJSON struct {
	Index   int    `json:"index"`
	Pages   [2]int `json:"pages"`
	Tokens  int    `json:"tokens,omitempty"`
	Summary string `json:"summary"`
}

// Parameters are the settings that shape a summary; with the content hash
// and the model identity they decide whether a summary is still current.
type Parameters struct {
	Style        string         `json:"style,omitempty"`
	Instruction  string         `json:"instruction,omitempty"`
	Lang         string         `json:"lang,omitempty"`
	MaxNewTokens int            `json:"max_new_tokens"`
	Context      int            `json:"context,omitempty"`
	ChunkOverlap int            `json:"chunk_overlap,omitempty"`
	PDFEngine    string         `json:"pdf_engine,omitempty"`
	StripHeaders bool           `json:"strip_headers,omitempty"`
	Sampling     infer.Sampling `json:"sampling"`
	// Schema names the --schema file and its content hash ("" for none);
	// SchemaDoc is the compiled schema.
	Schema    string             `json:"schema,omitempty"`
	SchemaDoc *structured.Schema `json:"-"`
	// NoCitations is --citations=false.
	NoCitations bool `json:"no_citations,omitempty"`
}

// Key returns a stable fingerprint of the parameters.
func (p Parameters) Key() string {
	b, _ := json.Marshal(p)
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:8])
}

// Timings are milliseconds spent per stage.
type Timings struct {
	ExtractMS   int64 `json:"extract_ms"`
	SummarizeMS int64 `json:"summarize_ms"`
	TotalMS     int64 `json:"total_ms"`
}

// TokenCounts are the tokens a document's summary took.
type TokenCounts struct {
	Prompt     int `json:"prompt"`
	Completion int `json:"completion"`
}

// codeSpan writes s as a Markdown code span whose fence is longer than any
// run of backticks in s, so that a file name cannot close it.
func codeSpan(s string) string {
	run, longest := 0, 0
	for _, r := range s {
		if r == '`' {
			run++
			longest = max(longest, run)
		} else {
			run = 0
		}
	}
	fence := strings.Repeat("`", longest+1)
	if strings.HasPrefix(s, "`") || strings.HasSuffix(s, "`") {
		s = " " + s + " "
	}
	return fence + s + fence
}

// renderMarkdown renders the Markdown output of a document.
func renderMarkdown(d *DocumentJSON) string {
	var b strings.Builder
	title := d.Title
	if title == "" {
		title = path.Base(d.Source)
	}
	fmt.Fprintf(&b, "# %s\n\n", textutil.EscapeControl(textutil.OneLine(title)))
	fmt.Fprintf(&b, "Source: %s · %d %s · sha256 %s\n\n", codeSpan(textutil.EscapeControl(d.Source)), d.Pages, textutil.Plural(d.Pages, "page", "pages"), shortHash(d.SHA256))
	if d.Backend == "extractive" && d.Parameters.Style == sumz.StyleReleaseNotes && strings.HasPrefix(d.Summary, "### ") {
		b.WriteString("_Release notes: the document's changelog entries grouped by kind by llsum (no language model configured)._\n\n")
	} else if d.Backend == "extractive" {
		b.WriteString("_Extractive summary: sentences selected from the document by llsum's built-in TextRank (no language model configured)._\n\n")
	} else {
		model := d.Model.Model
		if model == "" {
			model = d.Backend
		}
		fmt.Fprintf(&b, "_Summary by %s (%s)._\n\n", model, d.Backend)
	}
	b.WriteString("## Summary\n\n")
	b.WriteString(nestHeadings(strings.TrimSpace(d.Summary), 3))
	b.WriteString("\n")
	if len(d.Chunks) > 1 {
		b.WriteString("\n## Parts\n")
		for _, c := range d.Chunks {
			fmt.Fprintf(&b, "\n### Part %d (%s)\n\n%s\n", c.Index+1, pageRange(c.Pages), nestHeadings(strings.TrimSpace(c.Summary), 4))
		}
	}
	if len(d.Warnings) > 0 {
		b.WriteString("\n## Warnings\n\n")
		for _, w := range d.Warnings {
			fmt.Fprintf(&b, "- %s\n", textutil.OneLine(w))
		}
	}
	return b.String()
}

func pageRange(p [2]int) string {
	if p[0] == p[1] {
		return fmt.Sprintf("page %d", p[0])
	}
	return fmt.Sprintf("pages %d–%d", p[0], p[1])
}

func shortHash(h string) string {
	if len(h) > 12 {
		return h[:12]
	}
	return h
}

// maxComponent is the longest file-name component llsum writes, in bytes,
// leaving room for the ".json"/".md" suffix and a collision marker under
// the usual 255-byte limit.
const maxComponent = 200

// outputRel maps a document's relative source path to the relative path of
// its outputs (without the .md/.json suffix). The result never escapes the
// output folder: absolute prefixes, "..", "." and empty components are
// dropped, invalid UTF-8 and control characters are replaced, and long
// components are shortened with a hash of the full name.
func outputRel(rel string) string {
	rel = strings.ReplaceAll(rel, "\\", "/")
	var parts []string
	for _, c := range strings.Split(rel, "/") {
		if c == "" || c == "." || c == ".." {
			continue
		}
		c = strings.Map(func(r rune) rune {
			if r < 0x20 || r == 0x7f {
				return '_'
			}
			return r
		}, strings.ToValidUTF8(c, "_"))
		if strings.HasPrefix(c, ".") {
			c = "_" + c[1:] // never write hidden files (or our state folder)
		}
		if len(c) > maxComponent {
			sum := sha256.Sum256([]byte(c))
			cut := maxComponent - 17
			for cut > 0 && !utf8.RuneStart(c[cut]) {
				cut--
			}
			c = c[:cut] + "~" + hex.EncodeToString(sum[:8])
		}
		parts = append(parts, c)
	}
	if len(parts) == 0 {
		return "_"
	}
	if reservedTop(parts[0]) {
		parts[0] = "_" + parts[0] // the run's own index stays writable
	}
	return strings.Join(parts, "/")
}

// reservedTop reports the names the run writes at the top of the output
// folder (index.json, index-I-of-N.json): an input folder so named would
// otherwise become a folder where the index must go.
func reservedTop(c string) bool {
	c = strings.ToLower(c)
	if c == "index.json" {
		return true
	}
	var i, n int
	_, err := fmt.Sscanf(c, "index-%d-of-%d.json", &i, &n)
	return err == nil && strings.HasSuffix(c, ".json")
}

// namer gives each document a distinct output path, deterministically: the
// first document (in walk order) to claim a path gets it, later ones get
// "~2", "~3"… before the suffix. Comparison ignores case, so outputs do not
// collide on case-insensitive file systems either. Only a 64-bit hash of
// each name is kept (8 bytes a document instead of the name): a hash
// collision, about one chance in 10^9 for 100,000 names, only gives a
// document a "~N" suffix it did not need, the same one on every run.
type namer struct {
	used map[uint64]struct{}
}

func (n *namer) name(rel string) string {
	if n.used == nil {
		n.used = map[uint64]struct{}{}
	}
	base := outputRel(rel)
	name := base
	for i := 2; n.has(name); i++ {
		name = fmt.Sprintf("%s~%d", base, i)
	}
	n.used[nameHash(name)] = struct{}{}
	return name
}

func (n *namer) has(name string) bool {
	_, ok := n.used[nameHash(name)]
	return ok
}

func nameHash(name string) uint64 {
	h := fnv.New64a()
	h.Write([]byte(strings.ToLower(name)))
	return h.Sum64()
}
