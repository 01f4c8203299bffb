package cron_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io/fs"
	"math/rand"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/llsum/llsum/internal/dirlock"
)

// TestIncremental: a second run skips everything without rewriting a file;
// a changed document alone is redone; a renamed one reuses its summary; a
// deleted one is reported, then pruned with --prune; --force redoes all.
func TestIncremental(t *testing.T) {
	dir := t.TempDir()
	rels := writeDocs(t, filepath.Join(dir, "in"), 12, 6)

	first := run(t, dir, "-o", "out", "in")
	if first.code != 0 || first.summary(t)["ok"] != 12 {
		t.Fatalf("first run: exit %d, summary %v\n%s", first.code, first.summary(t), first.stderr)
	}
	for _, e := range first.of("done") {
		if e.Tokens == nil || e.Timings == nil {
			t.Errorf("done event without tokens or timings: %+v", e)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "out", ".llsum", "state.db")); err != nil {
		t.Fatalf("no state after the first run: %v", err)
	}
	before := mtimes(t, filepath.Join(dir, "out"))

	second := run(t, dir, "-o", "out", "in")
	c := second.summary(t)
	if second.code != 0 || c["skipped"] != 12 || c["ok"] != 0 || second.count("start") != 12 {
		t.Fatalf("second run: exit %d, counts %v\n%s", second.code, c, second.stderr)
	}
	for _, e := range second.of("skipped") {
		if e.Reason != "unchanged" {
			t.Errorf("%s skipped for %q, want unchanged", e.Path, e.Reason)
		}
	}
	after := mtimes(t, filepath.Join(dir, "out"))
	for p, m := range before {
		if filepath.Ext(p) == ".md" || strings.HasSuffix(p, ".txt.json") {
			if !after[p].Equal(m) {
				t.Errorf("%s rewritten by a run that should skip it", p)
			}
		}
	}

	t.Run("one file changed", func(t *testing.T) {
		write(t, filepath.Join(dir, "in", rels[3]), "Completely new content. It has two sentences about tides.")
		res := run(t, dir, "-o", "out", "in")
		done := res.of("done")
		if res.code != 0 || len(done) != 1 || done[0].Source != rels[3] || res.summary(t)["skipped"] != 11 {
			t.Fatalf("exit %d, done %+v, counts %v", res.code, done, res.summary(t))
		}
		md, _ := os.ReadFile(filepath.Join(dir, "out", rels[3]+".md"))
		if !strings.Contains(string(md), "tides") {
			t.Errorf("summary of the changed file not redone:\n%s", md)
		}
	})

	t.Run("renamed file reuses its summary", func(t *testing.T) {
		oldRel, newRel := rels[5], "moved/renamed.txt"
		if err := os.MkdirAll(filepath.Join(dir, "in", "moved"), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.Rename(filepath.Join(dir, "in", oldRel), filepath.Join(dir, "in", newRel)); err != nil {
			t.Fatal(err)
		}
		res := run(t, dir, "-o", "out", "in")
		done := res.of("done")
		if res.code != 0 || len(done) != 1 || done[0].Source != newRel || !strings.Contains(done[0].Reason, "reused") {
			t.Fatalf("exit %d, done events %+v\n%s", res.code, done, res.stderr)
		}
		oldJSON, _ := os.ReadFile(filepath.Join(dir, "out", oldRel+".json"))
		newJSON, _ := os.ReadFile(filepath.Join(dir, "out", newRel+".json"))
		var o, n struct{ Source, Summary, SHA256 string }
		json.Unmarshal(oldJSON, &o)
		json.Unmarshal(newJSON, &n)
		if n.Source != newRel || n.Summary == "" || n.Summary != o.Summary || n.SHA256 != o.SHA256 {
			t.Errorf("reused JSON: source %q (want %q), summary equal %v", n.Source, newRel, n.Summary == o.Summary)
		}
		md, _ := os.ReadFile(filepath.Join(dir, "out", newRel+".md"))
		if !strings.Contains(string(md), "Source: `"+newRel+"`") {
			t.Errorf("reused Markdown does not name the new source:\n%s", md)
		}
		// The old name is gone: reported, kept without --prune.
		del := res.of("deleted")
		if len(del) != 1 || del[0].Source != oldRel {
			t.Fatalf("deleted events %+v, want %s", del, oldRel)
		}
		idx := readIndex(t, filepath.Join(dir, "out", "index.json"))
		if idx.Counts["deleted"] != 1 {
			t.Errorf("index counts %v, want 1 deleted", idx.Counts)
		}
		if _, err := os.Stat(filepath.Join(dir, "out", oldRel+".md")); err != nil {
			t.Errorf("outputs of the deleted input removed without --prune: %v", err)
		}

		res = run(t, dir, "--prune", "-o", "out", "in")
		if res.code != 0 || res.count("deleted") != 1 || res.summary(t)["skipped"] != 12 {
			t.Fatalf("--prune: exit %d\n%s", res.code, res.stderr)
		}
		for _, ext := range []string{".md", ".json"} {
			if _, err := os.Stat(filepath.Join(dir, "out", oldRel+ext)); !os.IsNotExist(err) {
				t.Errorf("%s%s not pruned (%v)", oldRel, ext, err)
			}
		}
		idx = readIndex(t, filepath.Join(dir, "out", "index.json"))
		for _, d := range idx.Documents {
			if d.Source == oldRel {
				t.Errorf("pruned document still in the index")
			}
		}
		if res := run(t, dir, "-o", "out", "in"); res.count("deleted") != 0 {
			t.Errorf("pruned document reported again")
		}
	})

	t.Run("parameters changed", func(t *testing.T) {
		res := run(t, dir, "--max-new-tokens", "64", "-o", "out", "in")
		if c := res.summary(t); res.code != 0 || c["ok"] != 12 {
			t.Fatalf("new parameters: exit %d, counts %v, want all redone", res.code, c)
		}
	})

	t.Run("force", func(t *testing.T) {
		res := run(t, dir, "--max-new-tokens", "64", "--force", "-o", "out", "in")
		if c := res.summary(t); res.code != 0 || c["ok"] != 12 {
			t.Fatalf("--force: exit %d, counts %v, want all redone", res.code, c)
		}
	})
	checkClean(t, filepath.Join(dir, "out"))
}

// TestCorruptState: a state file that is not JSON is reported, moved
// aside, and the run goes on; the JSON outputs still show the documents
// unchanged, so nothing is lost or redone.
func TestCorruptState(t *testing.T) {
	dir := t.TempDir()
	writeDocs(t, filepath.Join(dir, "in"), 6, 5)
	if res := run(t, dir, "-o", "out", "in"); res.code != 0 {
		t.Fatalf("first run: exit %d\n%s", res.code, res.stderr)
	}
	state := filepath.Join(dir, "out", ".llsum", "state.db")
	legacy := filepath.Join(dir, "out", ".llsum", "state.json")
	for _, tc := range []struct {
		file, garbage, warning string
	}{
		{state, "\x00\x01 not a database" + strings.Repeat("x", 5000), "corrupt state database"},
		{state, "SQLite format 3\x00\x10\x00\x01\x01", "corrupt state database"},
		{legacy, "{\"schema_version\": 1, \"documents\": [", "corrupt state file"},
		{legacy, `{"schema_version":1,"documents":[{"out":"../../etc/passwd","sha256":"x","outputs":["../../etc/passwd.md"]}]}`, "corrupt state file"},
	} {
		if tc.file == state {
			os.Remove(state + "-wal")
			os.Remove(state + "-shm")
		}
		if err := os.WriteFile(tc.file, []byte(tc.garbage), 0o644); err != nil {
			t.Fatal(err)
		}
		res := run(t, dir, "-o", "out", "in")
		w := res.of("warning")
		if res.code != 0 || len(w) != 1 || !strings.Contains(w[0].Error, tc.warning) {
			t.Fatalf("exit %d, warnings %+v\n%s", res.code, w, res.stderr)
		}
		if c := res.summary(t); c["skipped"] != 6 {
			t.Errorf("counts %v: documents redone after the state was lost", c)
		}
		if bad, _ := os.ReadFile(tc.file + ".bad"); string(bad) != tc.garbage {
			t.Errorf("corrupt state not kept as %s.bad", filepath.Base(tc.file))
		}
		if st := status(t, dir, "out"); st.Documents["skipped"] != 6 {
			t.Errorf("state not rebuilt: %+v", st)
		}
	}
}

// TestInterruptResume: SIGINT in the middle of a run stops it: exit 130,
// no partial file, the index lists what completed; the next run does the
// rest and only the rest.
func TestInterruptResume(t *testing.T) {
	dir := t.TempDir()
	const n = 300
	writeDocs(t, filepath.Join(dir, "in"), n, 60)

	cmd := llsum(t, dir, "-j", "1", "-o", "out", "in")
	events, wait := startLogged(t, cmd)
	done := 0
	for e := range events {
		if e.Event == "done" {
			done++
			if done == 5 {
				if err := cmd.Process.Signal(syscall.SIGINT); err != nil {
					t.Fatal(err)
				}
			}
		}
	}
	res := wait()
	if res.code != 130 {
		t.Fatalf("exit %d after SIGINT, want 130\n%s", res.code, res.stderr)
	}
	if res.count("interrupt") != 1 {
		t.Errorf("no interrupt event")
	}
	idx := readIndex(t, filepath.Join(dir, "out", "index.json"))
	completed := idx.Counts["ok"]
	if !idx.Interrupted || completed < 5 || completed >= n || len(idx.Documents) != completed {
		t.Fatalf("index after interrupt: interrupted %v, %d ok, %d listed (of %d)", idx.Interrupted, completed, len(idx.Documents), n)
	}
	for _, d := range idx.Documents {
		for _, o := range d.Outputs {
			if _, err := os.Stat(filepath.Join(dir, "out", o)); err != nil {
				t.Errorf("index lists %s: %v", o, err)
			}
		}
	}
	checkClean(t, filepath.Join(dir, "out"))

	again := run(t, dir, "-j", "2", "-o", "out", "in")
	c := again.summary(t)
	if again.code != 0 || c["skipped"] != completed || c["ok"] != n-completed {
		t.Fatalf("resume: exit %d, counts %v; want %d skipped, %d ok", again.code, c, completed, n-completed)
	}
	checkClean(t, filepath.Join(dir, "out"))
}

// TestGraceLetsInFlightFinish: a long document in flight when SIGINT comes
// is finished and recorded; nothing else starts.
func TestGraceLetsInFlightFinish(t *testing.T) {
	dir := t.TempDir()
	// "a/" sorts first: the long document is the first one taken.
	write(t, filepath.Join(dir, "in", "a", "long.txt"), prose(newRand(), 8000))
	writeDocs(t, filepath.Join(dir, "in", "b"), 20, 5)

	cmd := llsum(t, dir, "-j", "1", "--grace", "10m", "-o", "out", "in")
	events, wait := startLogged(t, cmd)
	for e := range events {
		if e.Event == "start" && strings.HasSuffix(e.Path, "long.txt") {
			if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
				t.Fatal(err)
			}
		}
	}
	res := wait()
	if res.code != 130 {
		t.Fatalf("exit %d, want 130\n%s", res.code, res.stderr)
	}
	if res.count("start") != 1 || len(res.of("done")) != 1 || res.of("done")[0].Source != "a/long.txt" {
		t.Fatalf("want only the document in flight finished; log:\n%s", res.stderr)
	}
	if _, err := os.Stat(filepath.Join(dir, "out", "a", "long.txt.md")); err != nil {
		t.Fatal(err)
	}
	checkClean(t, filepath.Join(dir, "out"))
}

// TestSecondRunRefused: a run on an output folder in use fails at once
// with exit 2 naming the holder's PID; --wait waits for it instead.
func TestSecondRunRefused(t *testing.T) {
	dir := t.TempDir()
	writeDocs(t, filepath.Join(dir, "in"), 150, 60)

	first := llsum(t, dir, "-j", "1", "-o", "out", "in")
	events, wait := startLogged(t, first)
	for e := range events {
		if e.Event == "start" {
			break
		}
	}
	second := run(t, dir, "-o", "out", "in")
	want := "pid " + strconv.Itoa(first.Process.Pid)
	if second.code != 2 || !strings.Contains(second.stderr, want) || !strings.Contains(second.stderr, "--wait") {
		t.Errorf("second run: exit %d, stderr %q; want exit 2 naming %s", second.code, second.stderr, want)
	}
	waited := run(t, dir, "--wait", "-o", "out", "in")
	go func() {
		for range events {
		}
	}()
	if r := wait(); r.code != 0 {
		t.Fatalf("first run: exit %d", r.code)
	}
	if c := waited.summary(t); waited.code != 0 || c["skipped"] != 150 {
		t.Errorf("--wait run: exit %d, counts %v; want all skipped after the first run", waited.code, c)
	}
}

// TestStaleLockTakenOver: a lock file left by a dead run does not block.
func TestStaleLockTakenOver(t *testing.T) {
	dir := t.TempDir()
	writeDocs(t, filepath.Join(dir, "in"), 2, 3)
	// A process that has exited: its PID is dead and it holds no flock.
	dead := exec.Command("true")
	if err := dead.Run(); err != nil {
		t.Fatal(err)
	}
	write(t, filepath.Join(dir, "out", ".llsum", "lock"), strconv.Itoa(dead.Process.Pid)+"\n")
	if res := run(t, dir, "-o", "out", "in"); res.code != 0 {
		t.Fatalf("stale lock: exit %d\n%s", res.code, res.stderr)
	}
	// And a lock held by a live process (this test) is respected.
	l, err := dirlock.Acquire(context.Background(), filepath.Join(dir, "out", ".llsum", "lock"), dirlock.Exclusive, false)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Release()
	res := run(t, dir, "-o", "out", "in")
	if res.code != 2 || !strings.Contains(res.stderr, "pid "+strconv.Itoa(os.Getpid())) {
		t.Fatalf("held lock: exit %d, stderr %q", res.code, res.stderr)
	}
}

// TestShards: shards 0/3, 1/3 and 2/3 run together on one output folder,
// cover every document exactly once, and index merge combines their
// indexes; a whole run is refused while they hold the folder.
func TestShards(t *testing.T) {
	dir := t.TempDir()
	rels := writeDocs(t, filepath.Join(dir, "in"), 90, 3)

	type shardRun struct {
		cmd    *exec.Cmd
		events <-chan event
		wait   func() result
	}
	var runs []shardRun
	for i := 0; i < 3; i++ {
		cmd := llsum(t, dir, "-j", "1", "--shard", fmt.Sprintf("%d/3", i), "-o", "out", "in")
		ev, wait := startLogged(t, cmd)
		runs = append(runs, shardRun{cmd, ev, wait})
	}
	// While the shards run, a whole run is refused.
	for e := range runs[0].events {
		if e.Event == "start" {
			break
		}
	}
	if whole := run(t, dir, "-o", "out", "in"); whole.code != 2 || !strings.Contains(whole.stderr, "pid") {
		t.Errorf("whole run during shards: exit %d, stderr %q", whole.code, whole.stderr)
	}
	seen := map[string]int{}
	for i, r := range runs {
		go func() {
			for range r.events {
			}
		}()
		res := r.wait()
		if res.code != 0 {
			t.Fatalf("shard %d/3: exit %d\n%s", i, res.code, res.stderr)
		}
		idx := readIndex(t, filepath.Join(dir, "out", fmt.Sprintf("index-%d-of-3.json", i)))
		if idx.Shard != fmt.Sprintf("%d/3", i) || len(idx.Documents) == 0 {
			t.Errorf("shard %d index: shard %q, %d documents", i, idx.Shard, len(idx.Documents))
		}
		for _, d := range idx.Documents {
			seen[d.Source]++
		}
	}
	for _, rel := range rels {
		if seen[rel] != 1 {
			t.Errorf("%s processed by %d shards, want 1", rel, seen[rel])
		}
	}
	if len(seen) != len(rels) {
		t.Errorf("%d documents across shards, want %d", len(seen), len(rels))
	}

	merge := exec.Command(bin, "index", "merge", "out")
	merge.Dir = dir
	if out, err := merge.CombinedOutput(); err != nil {
		t.Fatalf("index merge: %v\n%s", err, out)
	}
	idx := readIndex(t, filepath.Join(dir, "out", "index.json"))
	var got []string
	for _, d := range idx.Documents {
		got = append(got, d.Source)
	}
	want := append([]string{}, rels...)
	sort.Strings(want)
	if idx.Counts["ok"] != len(rels) || strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("merged index: counts %v, documents %d; want every document once, sorted", idx.Counts, len(got))
	}

	// The merge also copied the shards' state into state.db: status sees
	// every document, and a whole run skips them all (with --format md,
	// so the skips come from the merged state, not the JSON outputs).
	if st := status(t, dir, "out"); st.Documents["ok"] != len(rels) {
		t.Errorf("merged state: %+v, want %d documents ok", st.Documents, len(rels))
	}
	if res := run(t, dir, "--format", "md", "-o", "out", "in"); res.code != 0 || res.summary(t)["skipped"] != len(rels) {
		t.Errorf("whole run after the merge: exit %d, counts %v; want all %d skipped", res.code, res.summary(t), len(rels))
	}
	// A second round of shards skips everything.
	for i := 0; i < 3; i++ {
		res := run(t, dir, "--shard", fmt.Sprintf("%d/3", i), "-o", "out", "in")
		if c := res.summary(t); res.code != 0 || c["ok"] != 0 || c["skipped"] == 0 {
			t.Errorf("shard %d rerun: exit %d, counts %v", i, res.code, c)
		}
	}
	bad := exec.Command(bin, "run", "--shard", "3/3", "-o", "out", "in")
	bad.Dir = dir
	if out, _ := bad.CombinedOutput(); bad.ProcessState.ExitCode() != 2 || !strings.Contains(string(out), "--shard") {
		t.Errorf("--shard 3/3: exit %d, %s; want 2 and a usage error", bad.ProcessState.ExitCode(), out)
	}
}

// TestMaliciousNames: whatever the input names, every output lands inside
// --out and nothing is written anywhere else.
func TestMaliciousNames(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join(dir, "in")
	outside := filepath.Join(dir, "outside")
	names := []string{
		"..txt", "...txt", "-rf.txt", "a\nb.txt", "tab\there.txt", "bad\xff\xfeutf8.txt",
		"ｆｕｌｌｗｉｄｔｈ.txt", "e\u0301cole.txt", "école.txt", "CASE.txt", "case.txt",
		"rtl\u202etxt.md", strings.Repeat("長", 80) + ".txt", strings.Repeat("x", 250) + ".txt",
		"sub/../up.txt",
	}
	for _, n := range names {
		write(t, filepath.Join(in, filepath.Clean(n)), "A sentence about "+n+". Another sentence here.")
	}
	// Symlinks: a file and a folder outside the inputs, a loop.
	write(t, filepath.Join(outside, "secret.txt"), "Outside content. Read through a link.")
	must(t, os.Symlink(filepath.Join(outside, "secret.txt"), filepath.Join(in, "link.txt")))
	must(t, os.Symlink(outside, filepath.Join(in, "linkdir")))
	must(t, os.Symlink(in, filepath.Join(in, "loop")))
	// A symbolic link planted in the output folder must not be followed.
	must(t, os.MkdirAll(filepath.Join(dir, "out"), 0o755))
	must(t, os.Symlink(outside, filepath.Join(dir, "out", "linkdir")))
	before := mtimes(t, outside)

	res := run(t, dir, "-o", "out", "in", filepath.Join(in, "..txt"))
	if res.code != 1 {
		t.Errorf("exit %d, want 1 (the document behind the planted link fails)\n%s", res.code, res.stderr)
	}
	failed := res.of("failed")
	if len(failed) != 1 || !strings.Contains(failed[0].Error, "symbolic link") || !strings.Contains(failed[0].Error, "linkdir") {
		t.Errorf("failed %+v, want the linkdir document refused", failed)
	}
	after := mtimes(t, outside)
	if len(after) != len(before) {
		t.Errorf("files written outside --out: %v", after)
	}
	out, _ := filepath.Abs(filepath.Join(dir, "out"))
	var outputs int
	filepath.WalkDir(out, func(p string, d fs.DirEntry, err error) error {
		if err != nil || p == out {
			return err
		}
		if d.Type()&fs.ModeSymlink != 0 {
			if d.Name() != "linkdir" {
				t.Errorf("llsum made a symbolic link: %s", p)
			}
			return nil
		}
		if len(d.Name()) > 255 {
			t.Errorf("name longer than 255 bytes: %s", p)
		}
		if d.IsDir() && d.Name() == ".llsum" {
			return filepath.SkipDir
		}
		if !d.IsDir() && d.Name() != "index.json" {
			outputs++
		}
		return nil
	})
	idx := readIndex(t, filepath.Join(out, "index.json"))
	names2 := map[string]bool{}
	for _, d := range idx.Documents {
		for _, o := range d.Outputs {
			p := filepath.Join(out, o)
			if !strings.HasPrefix(p, out+string(filepath.Separator)) {
				t.Errorf("output %q escapes the output folder", o)
			}
			if real, err := filepath.EvalSymlinks(p); err != nil || real != p {
				t.Errorf("output %q resolves to %q (%v)", o, real, err)
			}
			if names2[strings.ToLower(o)] {
				t.Errorf("two documents share output %q", o)
			}
			names2[strings.ToLower(o)] = true
		}
	}
	// Hidden names ("..txt", "...txt") are skipped by the walk, but "..txt"
	// given by name is summarized; the link to a file outside is followed
	// (its content is read, its output is inside); the loop is not.
	if want := len(names) - 2 + 2; idx.Counts["ok"] != want {
		t.Errorf("%d ok, want %d\n%s", idx.Counts["ok"], want, res.stderr)
	}
	if outputs != 2*idx.Counts["ok"] {
		t.Errorf("%d output files for %d documents", outputs, idx.Counts["ok"])
	}
	// A second run names everything the same way and skips it.
	again := run(t, dir, "-o", "out", "in", filepath.Join(in, "..txt"))
	if c := again.summary(t); c["skipped"] != idx.Counts["ok"] {
		t.Errorf("second run: counts %v, want %d skipped (deterministic names)\n%s", c, idx.Counts["ok"], again.stderr)
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// TestOutputFolderUnusable: a read-only or full output folder gives a
// clear error (exit 2), leaves no partial file and no corrupt state, and
// a run once there is room completes the work.
func TestOutputFolderUnusable(t *testing.T) {
	dir := t.TempDir()
	writeDocs(t, filepath.Join(dir, "in"), 40, 40)
	mnt := filepath.Join(dir, "mnt")
	must(t, os.MkdirAll(mnt, 0o755))
	if os.Geteuid() != 0 || exec.Command("mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", mnt).Run() != nil {
		if os.Getenv("CI") != "" && os.Geteuid() == 0 {
			t.Fatal("cannot mount a tmpfs as root in CI")
		}
		t.Skip("needs root and mount(8) to make a small tmpfs (full-disk and read-only cases)")
	}
	defer exec.Command("umount", "-l", mnt).Run()

	t.Run("full", func(t *testing.T) {
		res := run(t, dir, "-j", "2", "-o", "mnt/out", "in")
		if res.code != 2 || !strings.Contains(res.stderr, "no space left on device") {
			t.Fatalf("full disk: exit %d, want 2 and ENOSPC named\n%s", res.code, res.stderr)
		}
		checkClean(t, mnt)
		must(t, exec.Command("mount", "-o", "remount,size=16m", mnt).Run())
		res = run(t, dir, "-o", "mnt/out", "in")
		if c := res.summary(t); res.code != 0 || c["ok"]+c["skipped"] != 40 {
			t.Fatalf("after freeing space: exit %d, counts %v\n%s", res.code, c, res.stderr)
		}
		checkClean(t, mnt)
	})
	t.Run("read-only", func(t *testing.T) {
		state := filepath.Join(mnt, "out", ".llsum", "state.db")
		before, _ := os.ReadFile(state)
		must(t, exec.Command("mount", "-o", "remount,ro", mnt).Run())
		defer exec.Command("mount", "-o", "remount,rw", mnt).Run()
		res := run(t, dir, "--force", "-o", "mnt/out", "in")
		if res.code != 2 || !strings.Contains(res.stderr, "read-only file system") || !strings.Contains(res.stderr, "mnt/out") {
			t.Fatalf("read-only: exit %d\n%s", res.code, res.stderr)
		}
		if now, _ := os.ReadFile(state); string(now) != string(before) {
			t.Errorf("state changed on a read-only folder")
		}
	})
}

func newRand() *rand.Rand { return rand.New(rand.NewSource(7)) }

// TestReadOnlyOutputNonRoot is the read-only case for users the kernel
// holds to file modes (root is tested with a read-only tmpfs instead).
func TestReadOnlyOutputNonRoot(t *testing.T) {
	if os.Geteuid() == 0 {
		t.Skip("root ignores file modes; TestOutputFolderUnusable covers root with a read-only tmpfs")
	}
	dir := t.TempDir()
	writeDocs(t, filepath.Join(dir, "in"), 3, 5)
	if res := run(t, dir, "-o", "out", "in"); res.code != 0 {
		t.Fatalf("first run: exit %d\n%s", res.code, res.stderr)
	}
	state := filepath.Join(dir, "out", ".llsum", "state.db")
	before, _ := os.ReadFile(state)
	must(t, os.Chmod(filepath.Join(dir, "out"), 0o555))
	defer os.Chmod(filepath.Join(dir, "out"), 0o755)
	res := run(t, dir, "--force", "-o", "out", "in")
	if res.code != 2 || !strings.Contains(res.stderr, "not writable") {
		t.Fatalf("read-only: exit %d\n%s", res.code, res.stderr)
	}
	if now, _ := os.ReadFile(state); string(now) != string(before) {
		t.Errorf("state changed on a read-only folder")
	}
}
