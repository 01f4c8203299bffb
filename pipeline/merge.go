package pipeline

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"time"

	"github.com/llsum/llsum/internal/errclass"
	"github.com/llsum/llsum/internal/statedb"
)

var shardIndexRe = regexp.MustCompile(`^index-(\d+)-of-(\d+)\.json$`)

// MergeResult says what MergeIndexes combined.
type MergeResult struct {
	// Path is the index written.
	Path string
	// Shards are the shard indexes read.
	Shards []string
	// Missing are the shards of the split (I/N) with no index yet.
	Missing []string
	// Databases are the shard state databases merged into state.db.
	Databases []string
	Index     Index
}

// MergeIndexes combines the shard indexes in outDir (index-I-of-N.json)
// into outDir/index.json: documents of every shard sorted by path, counts
// summed, the earliest start and the latest finish. Shard indexes of a split
// other than the newest (largest N last written) are ignored. A split with
// missing shards is merged all the same and the missing ones are reported.
// It holds the output folder's lock while it works, so it fails (or, with
// wait, waits) while a shard is still running.
func MergeIndexes(ctx context.Context, outDir string, wait bool) (*MergeResult, error) {
	unlock, err := lockOut(ctx, outDir, Shard{}, wait)
	if err != nil {
		return nil, err
	}
	defer unlock()
	ents, err := os.ReadDir(outDir)
	if err != nil {
		return nil, errclass.AsFatal(fmt.Errorf("merge indexes: %w", err))
	}
	// Group the shard indexes by N; keep the most recently written split.
	type found struct {
		name string
		i, n int
	}
	var splits = map[int][]found{}
	var newestN int
	var newest int64
	for _, e := range ents {
		m := shardIndexRe.FindStringSubmatch(e.Name())
		if m == nil {
			continue
		}
		i, _ := strconv.Atoi(m[1])
		n, _ := strconv.Atoi(m[2])
		if n < 2 || i >= n {
			continue
		}
		splits[n] = append(splits[n], found{e.Name(), i, n})
		if fi, err := e.Info(); err == nil && fi.ModTime().UnixNano() > newest {
			newest, newestN = fi.ModTime().UnixNano(), n
		}
	}
	if newestN == 0 {
		return nil, errclass.AsFatal(fmt.Errorf("merge indexes: no shard index (index-I-of-N.json) in %s", outDir))
	}
	parts := splits[newestN]
	sort.Slice(parts, func(a, b int) bool { return parts[a].i < parts[b].i })

	res := &MergeResult{Path: filepath.Join(outDir, "index.json")}
	have := map[int]bool{}
	var merged Index
	for k, f := range parts {
		p := filepath.Join(outDir, f.name)
		data, err := os.ReadFile(p)
		if err != nil {
			return nil, errclass.AsFatal(fmt.Errorf("merge indexes: %w", err))
		}
		var idx Index
		if err := json.Unmarshal(data, &idx); err != nil {
			return nil, errclass.AsFatal(fmt.Errorf("merge indexes: %s: %w", p, err))
		}
		if idx.SchemaVersion != SchemaVersion {
			return nil, errclass.AsFatal(fmt.Errorf("merge indexes: %s: schema version %d, want %d", p, idx.SchemaVersion, SchemaVersion))
		}
		have[f.i] = true
		res.Shards = append(res.Shards, fmt.Sprintf("%d/%d", f.i, f.n))
		if k == 0 {
			merged = idx
			merged.Shard = ""
			merged.Documents = append([]DocResult{}, idx.Documents...)
			continue
		}
		if idx.Started.Before(merged.Started) {
			merged.Started = idx.Started
		}
		if idx.Finished.After(merged.Finished) {
			merged.Finished = idx.Finished
		}
		merged.Counts.OK += idx.Counts.OK
		merged.Counts.Failed += idx.Counts.Failed
		merged.Counts.Skipped += idx.Counts.Skipped
		merged.Counts.Deleted += idx.Counts.Deleted
		merged.Interrupted = merged.Interrupted || idx.Interrupted
		merged.Errors = append(merged.Errors, idx.Errors...)
		merged.Documents = append(merged.Documents, idx.Documents...)
	}
	for i := 0; i < newestN; i++ {
		if !have[i] {
			res.Missing = append(res.Missing, fmt.Sprintf("%d/%d", i, newestN))
		}
	}
	sort.SliceStable(merged.Documents, func(a, b int) bool { return merged.Documents[a].Path < merged.Documents[b].Path })
	if _, err := writeIndex(outDir, Shard{}, IndexJSON, &merged, docsOf(merged.Documents)); err != nil {
		return nil, errclass.AsFatal(fmt.Errorf("merge indexes: write %s: %w", res.Path, err))
	}
	res.Index = merged
	for i := 0; i < newestN; i++ {
		sh := Shard{Index: i, Count: newestN}
		ok, err := mergeState(ctx, outDir, sh)
		if err != nil {
			return nil, errclass.AsFatal(fmt.Errorf("merge indexes: %w", err))
		}
		if ok {
			res.Databases = append(res.Databases, filepath.Base(StatePath(outDir, sh)))
		}
	}
	return res, nil
}

// mergeState copies the rows of a shard's state database into the whole
// run's (state.db), as one merge run in one transaction, so that a whole
// run after sharded ones skips what the shards summarized. It reports
// false when the shard has no database.
func mergeState(ctx context.Context, outDir string, sh Shard) (bool, error) {
	src := StatePath(outDir, sh)
	if _, err := os.Stat(src); err != nil {
		return false, nil
	}
	from, err := statedb.Open(ctx, src)
	if err != nil {
		return false, err
	}
	defer from.Close()
	to, err := openState(ctx, outDir, Shard{}, func(error) {})
	if err != nil {
		return false, err
	}
	defer to.Close()
	_, err = to.Import(ctx, statedb.Run{Started: time.Now(), Shard: sh.String(), Status: statedb.RunMerged},
		"merged"+sh.suffix(), time.Now().UTC().Format(time.RFC3339), func(add func(statedb.Doc) error) error {
			return from.Docs(ctx, statedb.Filter{}, func(d *statedb.Doc) error { return add(*d) })
		})
	if err != nil {
		return false, fmt.Errorf("merge %s: %w", src, err)
	}
	return true, nil
}
