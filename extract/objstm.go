package extract

import (
	"bytes"
	"compress/zlib"
	"fmt"
	"io"
	"os"
)

// Object streams are decoded by the PDF library itself, one object at a
// time, out of reach of the content lexer: an object of a few kilobytes
// on disk can decode to a hundred-megabyte array that the library then
// builds whole (24 bytes per element). Before the library opens a file,
// objStmGuard inflates each Flate object stream to nowhere, counting, and
// refuses the document when one decodes to more than the budget allows
// for parsed objects.

// objStmShare is the budget share one object stream's decoded bytes may
// take: parsed, they grow to about ten times their size.
const objStmShare = 16

// objStmGuard scans the file at path for object streams and returns
// ErrMemoryBudget when one decodes to more than limit bytes.
func objStmGuard(path string, limit int64) error {
	f, err := os.Open(path)
	if err != nil {
		return nil // the engines report it
	}
	defer f.Close()
	const block = 1 << 20
	const overlap = 64
	buf := make([]byte, block+overlap)
	var base int64 // file offset of buf[0]
	carry := 0
	last := int64(-1) // the last offset checked (blocks overlap)
	for {
		n, rerr := io.ReadFull(f, buf[carry:])
		data := buf[:carry+n]
		for i := 0; ; {
			k := bytes.Index(data[i:], []byte("/ObjStm"))
			if k < 0 {
				break
			}
			if off := base + int64(i+k); off > last {
				last = off
				if err := checkObjStm(f, off, limit); err != nil {
					return err
				}
			}
			i += k + len("/ObjStm")
		}
		if rerr != nil {
			return nil
		}
		// Keep the tail: a name split across blocks is found next time.
		carry = copy(buf, data[len(data)-overlap:])
		base += int64(len(data) - overlap)
	}
}

// checkObjStm inflates the stream whose dictionary holds /ObjStm at off.
func checkObjStm(f *os.File, off, limit int64) error {
	head := make([]byte, 4096)
	n, _ := f.ReadAt(head, off)
	head = head[:n]
	s := bytes.Index(head, []byte("stream"))
	if s < 0 {
		return nil
	}
	// A chain of Flate filters ([/FlateDecode /FlateDecode] takes the ratio
	// from a thousand to millions) is inflated as many times.
	layers := bytes.Count(head[:s], []byte("/FlateDecode"))
	if layers == 0 || layers > 4 {
		return nil
	}
	start := off + int64(s+len("stream"))
	for _, c := range head[s+len("stream"):] {
		if c != '\r' && c != '\n' {
			break
		}
		start++
	}
	var r io.Reader = io.NewSectionReader(f, start, 1<<62)
	for range layers {
		zr, err := zlib.NewReader(r)
		if err != nil {
			return nil // not Flate data (encrypted, damaged): the library decides
		}
		r = zr
	}
	got, _ := io.Copy(io.Discard, io.LimitReader(r, limit+1))
	if got > limit {
		return fmt.Errorf("%w: an object stream decodes to more than %s", ErrMemoryBudget, byteSize(limit))
	}
	return nil
}
