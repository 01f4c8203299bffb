package cudamem_test

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	ort "github.com/yalue/onnxruntime_go"

	"github.com/llsum/llsum/infer/onnx"
	"github.com/llsum/llsum/infer/onnx/cudamem"
)

// api loads ONNX Runtime through the engine's discovery; without it the
// test fails under CI and is skipped locally.
func api(t *testing.T) *cudamem.API {
	t.Helper()
	rt, err := onnx.LoadRuntime(onnx.DefaultLibOptions(""))
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("ONNX Runtime: %v", err)
		}
		t.Skipf("ONNX Runtime not installed (run `make deps`): %v", err)
	}
	a, err := cudamem.Load(rt.Path)
	if err != nil {
		t.Fatalf("load C API: %v", err)
	}
	return a
}

// TestSlots checks the OrtApi slots used by the C layer against the header
// shipped with onnxruntime_go (the ABI this binary is built for).
func TestSlots(t *testing.T) {
	out, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", "github.com/yalue/onnxruntime_go").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	h, err := os.ReadFile(filepath.Join(strings.TrimSpace(string(out)), "onnxruntime_c_api.h"))
	if err != nil {
		t.Fatal(err)
	}
	src, err := os.ReadFile("cudamem.go")
	if err != nil {
		t.Fatal(err)
	}
	names := apiMembers(t, string(h))
	want := regexp.MustCompile(`SLOT_(\w+) = (\d+)`).FindAllStringSubmatch(string(src), -1)
	if len(want) < 6 {
		t.Fatalf("found %d slots in cudamem.go", len(want))
	}
	for _, w := range want {
		var got int = -1
		for i, n := range names {
			if n == w[1] {
				got = i
			}
		}
		if w[2] != strconv.Itoa(got) {
			t.Errorf("%s: slot %s in cudamem.go, %d in the header", w[1], w[2], got)
		}
	}
	if m := regexp.MustCompile(`#define ORT_API_VERSION (\d+)`).FindStringSubmatch(string(h)); m == nil || !strings.Contains(string(src), "GetApi("+m[1]+")") {
		t.Errorf("header API version %v not the one requested in cudamem.go", m)
	}
}

// apiMembers lists the members of struct OrtApi in order.
func apiMembers(t *testing.T, h string) []string {
	t.Helper()
	i := strings.Index(h, "struct OrtApi {")
	if i < 0 {
		t.Fatal("struct OrtApi not in header")
	}
	j := strings.Index(h[i:], "\n};")
	body := h[i+len("struct OrtApi {") : i+j]
	body = regexp.MustCompile(`(?s)/\*.*?\*/`).ReplaceAllString(body, "")
	body = regexp.MustCompile(`//[^\n]*`).ReplaceAllString(body, "")
	pats := []struct {
		re  *regexp.Regexp
		pre string
	}{
		{regexp.MustCompile(`^ORT_API2_STATUS\(\s*(\w+)`), ""},
		{regexp.MustCompile(`^ORT_CLASS_RELEASE2?\(\s*(\w+)`), "Release"},
		{regexp.MustCompile(`^ORT_API_T\(\s*[^,]+,\s*(\w+)`), ""},
		{regexp.MustCompile(`\(\s*ORT_API_CALL\s*\*\s*(\w+)\s*\)`), ""},
	}
	var names []string
	for _, m := range strings.Split(body, ";") {
		m = strings.TrimSpace(m)
		if m == "" {
			continue
		}
		found := false
		for _, p := range pats {
			if s := p.re.FindStringSubmatch(m); s != nil {
				names = append(names, p.pre+s[1])
				found = true
				break
			}
		}
		if !found {
			t.Fatalf("unparsed OrtApi member %q", m)
		}
	}
	return names
}

// TestHostMemory drives the whole route over C host memory: allocation,
// copies, bounds, and tensors ONNX Runtime accepts with the right shape.
func TestHostMemory(t *testing.T) {
	a := api(t)
	m, err := cudamem.NewHost(a)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	if m.Device() || m.Name() != "host" {
		t.Errorf("host memory says device=%v name=%s", m.Device(), m.Name())
	}
	b, err := m.Alloc(64)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Free(b)
	src := []byte("0123456789abcdef")
	if err := m.Write(b, 8, src); err != nil {
		t.Fatal(err)
	}
	got := make([]byte, len(src))
	if err := m.Read(got, b, 8); err != nil || !bytes.Equal(got, src) {
		t.Fatalf("read back %q, %v", got, err)
	}
	for _, c := range []struct {
		name string
		err  error
	}{
		{"read past end", m.Read(make([]byte, 8), b, 60)},
		{"write past end", m.Write(b, 63, src)},
		{"negative offset", m.Read(make([]byte, 1), b, -1)},
	} {
		if c.err == nil {
			t.Errorf("%s accepted", c.name)
		}
	}
	tests := []struct {
		shape ort.Shape
		off   int
		typ   ort.TensorElementDataType
		size  int
		ok    bool
	}{
		{ort.NewShape(2, 4), 0, ort.TensorElementDataTypeFloat16, 2, true},
		{ort.NewShape(1, 2, 3, 2), 16, ort.TensorElementDataTypeFloat, 4, true},
		{ort.NewShape(8), 0, ort.TensorElementDataTypeInt64, 8, true},
		{ort.NewShape(9), 0, ort.TensorElementDataTypeInt64, 8, false},
		{ort.NewShape(2, 4), 60, ort.TensorElementDataTypeFloat, 4, false},
	}
	for _, tc := range tests {
		v, err := m.Tensor(b, tc.off, tc.shape, tc.typ, tc.size)
		if (err == nil) != tc.ok {
			t.Errorf("tensor %v at %d: err %v, want ok=%v", tc.shape, tc.off, err, tc.ok)
			continue
		}
		if err != nil {
			continue
		}
		if !v.GetShape().Equals(tc.shape) || v.GetONNXType() != ort.ONNXTypeTensor {
			t.Errorf("tensor shape %v, want %v", v.GetShape(), tc.shape)
		}
		if err := v.Destroy(); err != nil {
			t.Error(err)
		}
	}
}

// TestOpenCUDA: without a CUDA runtime the error wraps ErrUnavailable and is
// one line; with one (a GPU machine), device memory round-trips.
func TestOpenCUDA(t *testing.T) {
	a := api(t)
	m, err := cudamem.OpenCUDA(a, 0)
	if err != nil {
		if !errors.Is(err, cudamem.ErrUnavailable) || strings.Contains(err.Error(), "\n") {
			t.Fatalf("no CUDA: %v", err)
		}
		if _, err := cudamem.OpenCUDA(a, 0); !errors.Is(err, cudamem.ErrUnavailable) {
			t.Fatalf("second try: %v", err)
		}
		t.Logf("no CUDA here, as reported: %v", err)
		return
	}
	defer m.Close()
	if !m.Device() || m.Name() != "cuda:0" {
		t.Errorf("device memory says device=%v name=%s", m.Device(), m.Name())
	}
	b, err := m.Alloc(1 << 20)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Free(b)
	src := bytes.Repeat([]byte{1, 2, 3, 4, 5}, 1000)
	if err := m.Write(b, 4096, src); err != nil {
		t.Fatal(err)
	}
	got := make([]byte, len(src))
	if err := m.Read(got, b, 4096); err != nil || !bytes.Equal(got, src) {
		t.Fatalf("device round trip: %v", err)
	}
	free, total, err := m.MemInfo()
	if err != nil || free <= 0 || total < free {
		t.Errorf("meminfo %d/%d %v", free, total, err)
	}
	if _, err := cudamem.OpenCUDA(a, 1<<20); !errors.Is(err, cudamem.ErrUnavailable) {
		t.Errorf("absent device: %v", err)
	}
}

func TestLayout(t *testing.T) {
	if err := cudamem.Layout(); err != nil {
		t.Fatal(err)
	}
}
