package onnx

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
)

// ErrIncomplete marks a model whose external weight files are missing or
// shorter than the graph says (an interrupted or partial download). Such
// an error is also an ErrBadModel.
var ErrIncomplete = errors.New("incomplete download")

// IncompleteError names the external data file that is missing or short.
type IncompleteError struct {
	Dir  string // model folder
	File string // the external data file
	Have int64  // its size (-1: missing)
	Want int64  // the bytes the graph's initializers reach
}

func (e *IncompleteError) Error() string {
	if e.Have < 0 {
		return fmt.Sprintf("model %s: incomplete download: %s is missing (the graph needs %d bytes of it)", e.Dir, e.File, e.Want)
	}
	return fmt.Sprintf("model %s: incomplete download: %s is %d of %d bytes", e.Dir, e.File, e.Have, e.Want)
}

// Is makes an IncompleteError match ErrIncomplete and ErrBadModel.
func (e *IncompleteError) Is(target error) bool {
	return target == ErrIncomplete || target == ErrBadModel
}

// checkExternal checks that every external data file the graph's
// initializers reference exists and reaches the last offset+length any
// of them declares. Files are checked in name order, so the error is the
// same from run to run.
func checkExternal(dir, graph string, ext []extData) error {
	need := map[string]int64{}
	for _, x := range ext {
		if x.location == "" {
			return badModel(dir, "initializer %s is external but names no file", x.name)
		}
		end := x.offset + max(x.length, 0)
		need[x.location] = max(need[x.location], end)
	}
	files := make([]string, 0, len(need))
	for f := range need {
		files = append(files, f)
	}
	slices.Sort(files)
	for _, f := range files {
		p := filepath.Join(filepath.Dir(graph), f)
		st, err := os.Stat(p)
		switch {
		case errors.Is(err, os.ErrNotExist):
			return &IncompleteError{Dir: dir, File: p, Have: -1, Want: need[f]}
		case err != nil:
			return badModel(dir, "external data %s: %v", p, err)
		case st.IsDir():
			return badModel(dir, "external data %s is a folder", p)
		case st.Size() < need[f]:
			return &IncompleteError{Dir: dir, File: p, Have: st.Size(), Want: need[f]}
		}
	}
	return nil
}
