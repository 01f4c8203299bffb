package extract

import (
	"bytes"
	"compress/zlib"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"
	"sort"
	"strconv"
)

// Repair of damaged PDFs whose cross-reference data is lost (a truncated
// tail, a broken trailer): the objects still in the file are found by
// scanning, objects packed in object streams are listed from the streams,
// and a fresh cross-reference stream and trailer are appended in memory.

// maxRepairSize bounds the files repair reads into memory.
const maxRepairSize = 512 << 20

// maxObjStmScan bounds the decoded bytes of one object stream repair reads
// for its object list.
const maxObjStmScan = 64 << 20

var (
	reObj     = regexp.MustCompile(`(?m)(?:^|[\r\n\s])(\d{1,10})\s+(\d{1,5})\s+obj\b`)
	reRoot    = regexp.MustCompile(`/Root\s+(\d+)\s+(\d+)\s+R`)
	reInfo    = regexp.MustCompile(`/Info\s+(\d+)\s+(\d+)\s+R`)
	reEncrypt = regexp.MustCompile(`/Encrypt\s+(\d+)\s+(\d+)\s+R`)
	reID      = regexp.MustCompile(`/ID\s*\[\s*<[0-9A-Fa-f\s]*>\s*<[0-9A-Fa-f\s]*>\s*\]`)
	reCatalog = regexp.MustCompile(`/Type\s*/Catalog\b`)
	rePage    = regexp.MustCompile(`/Type\s*/Page\b`)
	reObjStm  = regexp.MustCompile(`/Type\s*/ObjStm\b`)
	reN       = regexp.MustCompile(`/N\s+(\d+)`)
	reFirst   = regexp.MustCompile(`/First\s+(\d+)`)
	reLength  = regexp.MustCompile(`/Length\s+(\d+)(\s+\d+\s+R)?`)
)

var errUnrepairable = errors.New("no cross-reference could be rebuilt")

type xrefEntry struct {
	typ    byte // 1: offset in file, 2: in object stream
	a      int  // offset, or object stream number
	b      int  // generation, or index in the stream
	endObj bool
}

// repairPDF returns the file's bytes with a rebuilt cross-reference stream
// and trailer appended.
// limit (when > 0) lowers maxRepairSize: repair holds the file twice.
func repairPDF(path string, limit int64) ([]byte, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if fi.Size() > maxRepairSize || (limit > 0 && fi.Size() > limit) {
		return nil, fmt.Errorf("%w: file too large to repair", errUnrepairable)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	if !bytes.HasPrefix(bytes.TrimLeft(data[:min(len(data), 1024)], "\x00\t\r\n "), []byte("%PDF-")) {
		return nil, fmt.Errorf("%w: no PDF header", errUnrepairable)
	}
	locs := reObj.FindAllSubmatchIndex(data, -1)
	if len(locs) == 0 {
		return nil, fmt.Errorf("%w: no objects found", errUnrepairable)
	}
	entries := map[int]xrefEntry{}
	var root []byte
	var catalog int
	var pages []int
	maxNum := 0
	for k, m := range locs {
		num, _ := strconv.Atoi(string(data[m[2]:m[3]]))
		gen, _ := strconv.Atoi(string(data[m[4]:m[5]]))
		start := m[2]
		end := len(data)
		if k+1 < len(locs) {
			end = locs[k+1][0]
		}
		body := data[m[1]:end]
		complete := bytes.Contains(body, []byte("endobj"))
		if old, ok := entries[num]; ok && old.endObj && !complete {
			continue
		}
		entries[num] = xrefEntry{typ: 1, a: start, b: gen, endObj: complete}
		if num > maxNum {
			maxNum = num
		}
		head := body[:min(len(body), 2048)]
		if reCatalog.Match(head) {
			catalog = num
		}
		if rePage.Match(head) {
			pages = append(pages, num)
		}
		if reObjStm.Match(head) {
			for i, inner := range objStmMembers(body) {
				if old, ok := entries[inner.num]; ok && old.typ == 1 && old.endObj {
					continue
				}
				entries[inner.num] = xrefEntry{typ: 2, a: num, b: i, endObj: true}
				if inner.num > maxNum {
					maxNum = inner.num
				}
				if inner.catalog {
					catalog = inner.num
				}
				if inner.page {
					pages = append(pages, inner.num)
				}
			}
		}
	}
	if maxNum > 10_000_000 {
		return nil, fmt.Errorf("%w: implausible object numbers", errUnrepairable)
	}
	var out bytes.Buffer
	out.Grow(len(data) + 16*maxNum + 512)
	out.Write(data)
	out.WriteString("\n")
	rootNum := 0
	if ms := reRoot.FindAllSubmatch(data, -1); len(ms) > 0 {
		rootNum, _ = strconv.Atoi(string(ms[len(ms)-1][1]))
	}
	if _, ok := entries[rootNum]; ok && rootNum > 0 {
		root = []byte(strconv.Itoa(rootNum) + " 0 R")
	} else if catalog > 0 {
		root = []byte(strconv.Itoa(catalog) + " 0 R")
	} else if len(pages) > 0 {
		// The catalog and page tree are lost: build new ones over the
		// pages found, in object order (the order producers write them).
		sort.Ints(pages)
		pagesNum, catNum := maxNum+1, maxNum+2
		maxNum += 2
		entries[pagesNum] = xrefEntry{typ: 1, a: out.Len()}
		fmt.Fprintf(&out, "%d 0 obj\n<< /Type /Pages /Count %d /Kids [", pagesNum, len(pages))
		for _, n := range pages {
			fmt.Fprintf(&out, " %d 0 R", n)
		}
		out.WriteString(" ] >>\nendobj\n")
		entries[catNum] = xrefEntry{typ: 1, a: out.Len()}
		fmt.Fprintf(&out, "%d 0 obj\n<< /Type /Catalog /Pages %d 0 R >>\nendobj\n", catNum, pagesNum)
		root = []byte(strconv.Itoa(catNum) + " 0 R")
	} else {
		return nil, fmt.Errorf("%w: no document catalog or page found", errUnrepairable)
	}
	size := maxNum + 2
	xrefNum := maxNum + 1
	xrefOff := out.Len()
	entries[xrefNum] = xrefEntry{typ: 1, a: xrefOff}
	var rows bytes.Buffer
	row := make([]byte, 7)
	for n := 0; n < size; n++ {
		e, ok := entries[n]
		for i := range row {
			row[i] = 0
		}
		if ok {
			row[0] = e.typ
			binary.BigEndian.PutUint32(row[1:5], uint32(e.a))
			binary.BigEndian.PutUint16(row[5:7], uint16(e.b))
		} else if n == 0 {
			row[5], row[6] = 0xff, 0xff
		}
		rows.Write(row)
	}
	fmt.Fprintf(&out, "%d 0 obj\n<< /Type /XRef /Size %d /W [1 4 2] /Root %s", xrefNum, size, root)
	for _, re := range []*regexp.Regexp{reInfo, reEncrypt} {
		if ms := re.FindAll(data, -1); len(ms) > 0 {
			out.WriteString(" ")
			out.Write(ms[len(ms)-1])
		}
	}
	if ms := reID.FindAll(data, -1); len(ms) > 0 {
		out.WriteString(" ")
		out.Write(ms[len(ms)-1])
	}
	fmt.Fprintf(&out, " /Length %d >>\nstream\n", rows.Len())
	out.Write(rows.Bytes())
	fmt.Fprintf(&out, "\nendstream\nendobj\nstartxref\n%d\n%%%%EOF\n", xrefOff)
	return out.Bytes(), nil
}

type stmMember struct {
	num           int
	catalog, page bool
}

// objStmMembers lists the objects of an object stream (Flate-compressed or
// not) whose text starts body (after "N G obj").
func objStmMembers(body []byte) []stmMember {
	dictEnd := bytes.Index(body, []byte("stream"))
	if dictEnd < 0 {
		return nil
	}
	dict := body[:dictEnd]
	nm, fm := reN.FindSubmatch(dict), reFirst.FindSubmatch(dict)
	if nm == nil || fm == nil {
		return nil
	}
	n, _ := strconv.Atoi(string(nm[1]))
	first, _ := strconv.Atoi(string(fm[1]))
	s := dictEnd + len("stream")
	for s < len(body) && (body[s] == '\r' || body[s] == '\n') {
		s++
	}
	raw := body[s:]
	if lm := reLength.FindSubmatch(dict); lm != nil && lm[2] == nil {
		if l, _ := strconv.Atoi(string(lm[1])); l > 0 && l <= len(raw) {
			raw = raw[:l]
		}
	} else if e := bytes.Index(raw, []byte("endstream")); e >= 0 {
		raw = raw[:e]
	}
	var content []byte
	if bytes.Contains(dict, []byte("/FlateDecode")) {
		zr, err := zlib.NewReader(bytes.NewReader(raw))
		if err != nil {
			return nil
		}
		content, _ = io.ReadAll(io.LimitReader(zr, maxObjStmScan))
	} else if !bytes.Contains(dict, []byte("/Filter")) {
		content = raw
	} else {
		return nil
	}
	if first > len(content) || n <= 0 || n > 1<<20 {
		return nil
	}
	fields := bytes.Fields(content[:first])
	type pair struct{ num, off int }
	var pairs []pair
	for i := 0; i+1 < len(fields) && len(pairs) < n; i += 2 {
		num, err1 := strconv.Atoi(string(fields[i]))
		off, err2 := strconv.Atoi(string(fields[i+1]))
		if err1 != nil || err2 != nil {
			break
		}
		pairs = append(pairs, pair{num, off})
	}
	out := make([]stmMember, len(pairs))
	for i, p := range pairs {
		out[i].num = p.num
		start := first + p.off
		end := len(content)
		if i+1 < len(pairs) {
			end = first + pairs[i+1].off
		}
		if start >= 0 && start < end && end <= len(content) {
			out[i].catalog = reCatalog.Match(content[start:end])
			out[i].page = rePage.Match(content[start:end])
		}
	}
	return out
}
