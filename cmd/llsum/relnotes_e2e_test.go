package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/llsum/llsum/internal/testenv"
)

// TestReleaseNotesWithoutModel: a restic-style changelog folder (one file
// per entry, "Bugfix: …" title lines, no file extension) with the
// extractive backend and --style release-notes: each entry's summary is its
// title under its kind's heading, with no URL, and the digest groups all
// entries by kind.
func TestReleaseNotesWithoutModel(t *testing.T) {
	work := t.TempDir()
	files, err := filepath.Glob(filepath.Join(testenv.ModuleRoot(t), "testdata", "changelog", "0.18.0", "*"))
	if err != nil || len(files) != 8 {
		t.Fatalf("fixture: %v %v", files, err)
	}
	args := append([]string{"run", "--style", "release-notes", "--digest", "DIGEST.md"}, files...)
	r := runLLSum(t, work, args...)
	if r.code != 0 {
		t.Fatalf("exit %d\n%s", r.code, r.stderr)
	}
	data, err := os.ReadFile(filepath.Join(work, "summaries", "issue-3871.json"))
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Summary      string `json:"summary"`
		Faithfulness []any  `json:"faithfulness"`
	}
	if err := json.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	if doc.Summary != "### Fixes\n\n- Do not crash when a lock file is truncated" || len(doc.Faithfulness) != 0 {
		t.Errorf("summary %q, faithfulness %v", doc.Summary, doc.Faithfulness)
	}
	digest, err := os.ReadFile(filepath.Join(work, "DIGEST.md"))
	if err != nil {
		t.Fatal(err)
	}
	d := string(digest)
	summary := d[strings.Index(d, "## Summary"):strings.Index(d, "## Documents")]
	for _, want := range []string{
		"### Security\n\n- Restrict permissions of newly written key files (issue-4133)",
		"### Breaking changes\n\n- Deprecated: The `--tls-insecure` option (pull-4230)",
		"### What changed\n\n- Compress backups with zstd (issue-4012)\n- Add `--dry-run` to `prune` (pull-4177)",
		"### Fixes\n\n- Do not crash when a lock file is truncated (issue-3871)\n- Show the correct progress for files larger than 4 GiB (issue-4150)\n- Retry uploads after HTTP 503 from the storage service (issue-4201)",
	} {
		if !strings.Contains(summary, want) {
			t.Errorf("digest lacks %q:\n%s", want, summary)
		}
	}
	if strings.Contains(d, "http") {
		t.Errorf("digest keeps URLs:\n%s", d)
	}
}
