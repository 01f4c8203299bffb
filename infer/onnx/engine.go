// Package onnx is llsum's ONNX Runtime engine: it loads Llama-style decoder
// exports (onnxruntime-genai and optimum/transformers.js folder layouts) and
// generates token ids, several sequences per forward pass.
//
// The ids-level API (Open, Engine.Generate) needs no tokenizer; a ChatModel
// on top of it adds one.
package onnx

import (
	"context"
	"errors"
	"fmt"
	"math"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"
	"unsafe"

	ort "github.com/yalue/onnxruntime_go"

	"github.com/llsum/llsum/infer"
	"github.com/llsum/llsum/internal/errclass"
	"github.com/llsum/llsum/internal/sigguard"
	"github.com/llsum/llsum/internal/textutil"
)

// DefaultPrefillChunk is the prompt chunk length per forward pass: long
// prompts are prefilled in chunks so attention scratch stays chunk × context
// instead of context × context, and the logits buffer stays chunk × vocab.
const DefaultPrefillChunk = 256

// DefaultMaxNewTokens applies when a request leaves MaxNewTokens at 0.
const DefaultMaxNewTokens = 256

// Options configure Open.
type Options struct {
	// Model is the model folder (--model / LLSUM_MODEL).
	Model string
	// Variant picks one of the folder's variants (--variant): a genai
	// variant folder of a repository root or an onnx/model_*.onnx graph.
	Variant string
	// Device is auto, cpu, cuda or cuda:N (--device); "" means auto.
	Device string
	// Lib says where to find the ONNX Runtime library (--ort-lib etc.).
	Lib LibOptions
	// PrefillChunk is the prompt chunk length (0: DefaultPrefillChunk).
	PrefillChunk int
	// PrefillRows caps how many prompts share their first prefill forward
	// pass on the CPU's shared-cache (GroupQueryAttention) path (see
	// prefill.go): 0 lets the engine choose within a memory budget for
	// attention scores, 1 prefills each prompt alone, N > 1 groups up to N
	// prompts even where a chunk per row exceeds the budget.
	PrefillRows int
	// Threads is ONNX Runtime's intra-op thread count (0: its default).
	Threads int
	// ProfilePrefix, when set, turns on ONNX Runtime's profiler: per-node
	// kernel times of every forward pass go to PREFIX_<date>.json (Chrome
	// trace format), written when the engine is closed.
	ProfilePrefix string
	// FullLogits runs a graph whose logits cover every position as it is
	// written (LLSUM_FULL_LOGITS=1), instead of rewriting it at open to
	// compute the last position's logits only (see lastlogits.go).
	FullLogits bool
	// Notice receives one-line notices (e.g. the CPU fallback); nil drops them.
	Notice func(string)

	// CUDAGraph captures each decode step shape as a CUDA graph and replays
	// it (GQA models with the KV cache in device memory; see graph.go).
	CUDAGraph bool
	// HostArgmax keeps greedy decoding's argmax on the host even when the
	// logits are in device memory (see devargmax.go).
	HostArgmax bool

	kvMemory    memory  // tests: where the KV cache lives (nil: kvMemory picks)
	staticSteps bool    // tests: graph-mode decode steps without a CUDA graph
	tap         tapFunc // graph checks: sees each row's logits before sampling
}

// GenRequest is one sequence to continue.
type GenRequest struct {
	InputIDs     []int
	MaxNewTokens int // 0: DefaultMaxNewTokens
	Sampling     infer.Sampling
	// IgnoreEOS keeps generating through EOS ids (benchmarks).
	IgnoreEOS bool
	// OnToken, when set, is called from the decode loop once per step of
	// this request: with each token it produces (and its log probability
	// when Logprobs, else nil) and the reason when that token ends it (else
	// ""), or with tok -1 and the reason when the request ends without a
	// token (the EOS id, the cache full). A non-empty return ends the
	// request at this token with that reason (a stop string, a client
	// gone), freeing its batch row from the next step on. It runs on the
	// engine's goroutine: it must not block.
	OnToken func(tok int, lp *TokenLogprob, stop string) string
	// Logprobs records each generated token's log probability
	// (GenResult.Logprobs), with the TopLogprobs likeliest alternatives (at
	// most infer.MaxTopLogprobs).
	Logprobs    bool
	TopLogprobs int
	// Mask, when set, constrains each token of this sequence (structured
	// output, see constrain.go).
	Mask LogitsMask
}

// GenResult is what one GenRequest produced.
type GenResult struct {
	// OutputIDs are the new tokens; a stopping EOS id is not included.
	OutputIDs []int
	// Stop is infer.StopEOS, infer.StopLength or infer.StopContext.
	Stop string
	// PrefillMs is the time spent on the prompt (whole batch).
	PrefillMs float64
	// DecodeMs is the time spent generating after the first token (whole batch).
	DecodeMs float64
	// DecodeTokens is the number of tokens the batch produced during DecodeMs.
	DecodeTokens int
	// Logprobs has one entry per OutputIDs when the request asked for them.
	Logprobs []TokenLogprob
}

// DecodeTokensPerSecond is DecodeTokens over DecodeMs (0 when none).
func (r GenResult) DecodeTokensPerSecond() float64 {
	if r.DecodeMs <= 0 {
		return 0
	}
	return float64(r.DecodeTokens) / (r.DecodeMs / 1000)
}

// Engine runs one model. Generate calls are serialized; buffers are kept and
// reused from call to call.
type Engine struct {
	spec    *ModelSpec
	rt      Runtime
	device  string
	chunk   int
	maxRows int // Options.PrefillRows
	sess    *ort.DynamicAdvancedSession
	mu      sync.Mutex
	kv      *kvCache
	kvClose func() // releases the KV memory's resources
	guard   *sigguard.Guard
	graphs  *graphs // static decode steps / CUDA graphs (nil: off)
	argmax  *devArgmax
	tap     tapFunc
	scratch scratch
	keep    ort.Value // logits_to_keep = 1 (nil: the graph has no such input)
	closed  bool
}

// scratch holds the step inputs and the logits output, grown on demand.
type scratch struct {
	ids, mask, pos, logits buffer
}

// Open loads the ONNX Runtime library (once per process), reads and
// validates the model folder and creates the session on the chosen device.
func Open(ctx context.Context, o Options) (*Engine, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	rt, err := LoadRuntime(o.Lib)
	if err != nil {
		return nil, errclass.AsFatal(err)
	}
	// The CUDA provider installs its own SIGINT/SIGTERM handlers when it
	// loads; put Go's back once the session exists.
	// Generate restores them again, should the provider do it lazily.
	guard := sigguard.Save()
	defer guard.Restore()
	// The device is settled first: a folder with several variants gets
	// the best one for it.
	so, device, err := sessionOptions(o)
	if err != nil {
		return nil, errclass.AsFatal(err)
	}
	defer so.Destroy()
	spec, err := ReadSpecFor(o.Model, o.Variant, device)
	if err != nil {
		return nil, errclass.AsFatal(err)
	}
	if spec.Choice != "" && o.Notice != nil {
		o.Notice(spec.Choice)
	}
	sess, err := newSession(spec, so, o)
	if err != nil {
		return nil, errclass.AsFatal(fmt.Errorf("model %s: create session on %s: %w", o.Model, device, err))
	}
	e := &Engine{spec: spec, rt: rt, device: device, chunk: o.PrefillChunk, maxRows: o.PrefillRows, sess: sess, guard: guard, tap: o.tap}
	if e.chunk <= 0 {
		e.chunk = DefaultPrefillChunk
	}
	if spec.KeepInput != "" {
		if e.keep, err = keepValue(spec); err != nil {
			_ = sess.Destroy()
			return nil, errclass.AsFatal(fmt.Errorf("model %s: %s: %w", o.Model, spec.KeepInput, err))
		}
	}
	mem, kvClose := kvMemory(rt, device, spec, o.Notice)
	if o.kvMemory != nil {
		mem, kvClose = o.kvMemory, func() {}
	}
	e.kv, e.kvClose = newKVCache(mem, spec), kvClose
	if err := e.setupGraphs(o); err != nil {
		_ = e.Close()
		return nil, errclass.AsFatal(err)
	}
	e.setupArgmax(o)
	return e, nil
}

// newSession creates the model's session. A graph with logits for every
// position is first rewritten to compute the last position's only (unless
// o.FullLogits); when the rewrite does not apply, or its session fails, the
// graph runs as written.
func newSession(spec *ModelSpec, so *ort.SessionOptions, o Options) (*ort.DynamicAdvancedSession, error) {
	if spec.perPosition && !o.FullLogits {
		b, err := lastLogitsFile(spec.Graph, spec.OutputNames[0])
		if err == nil {
			// From bytes, ONNX Runtime has no model path to find the
			// external data files by: name their folder.
			err = so.AddSessionConfigEntry("session.model_external_initializers_file_folder_path", filepath.Dir(spec.Graph))
		}
		var sess *ort.DynamicAdvancedSession
		if err == nil {
			sess, err = ort.NewDynamicAdvancedSessionWithONNXData(b, spec.InputNames, spec.OutputNames, so)
		}
		if err == nil {
			spec.LastLogits, spec.LogitsRewritten = true, true
			return sess, nil
		}
		if !errors.Is(err, errNoRewrite) && o.Notice != nil {
			o.Notice("running " + filepath.Base(spec.Graph) + " as written, logits for every position (last-position rewrite failed: " + textutil.FirstLine(err.Error()) + ")")
		}
	}
	return ort.NewDynamicAdvancedSession(spec.Graph, spec.InputNames, spec.OutputNames, so)
}

// ParseDevice splits "cuda:1" into ("cuda", 1); auto and cpu have id 0.
func ParseDevice(d string) (kind string, id int, err error) {
	d = strings.ToLower(strings.TrimSpace(d))
	switch {
	case d == "" || d == "auto":
		return "auto", 0, nil
	case d == "cpu" || d == "cuda":
		return d, 0, nil
	case strings.HasPrefix(d, "cuda:"):
		n, err := strconv.Atoi(d[5:])
		if err != nil || n < 0 {
			return "", 0, fmt.Errorf("device %q: want cuda:N with N a GPU number", d)
		}
		return "cuda", n, nil
	}
	return "", 0, fmt.Errorf("device %q: want auto, cpu, cuda or cuda:N", d)
}

// sessionOptions builds the session options for the device, falling back
// from auto to CPU with a notice.
func sessionOptions(o Options) (*ort.SessionOptions, string, error) {
	kind, id, err := ParseDevice(o.Device)
	if err != nil {
		return nil, "", err
	}
	so, err := ort.NewSessionOptions()
	if err != nil {
		return nil, "", fmt.Errorf("session options: %w", err)
	}
	if o.Threads > 0 {
		if err := so.SetIntraOpNumThreads(o.Threads); err != nil {
			so.Destroy()
			return nil, "", fmt.Errorf("session options: threads: %w", err)
		}
	}
	if o.ProfilePrefix != "" {
		if err := so.EnableProfiling(o.ProfilePrefix); err != nil {
			so.Destroy()
			return nil, "", fmt.Errorf("session options: profiling to %s: %w", o.ProfilePrefix, err)
		}
	}
	if kind == "cpu" {
		return so, "cpu", nil
	}
	if err := appendCUDA(so, id, o.CUDAGraph); err != nil {
		if kind == "cuda" {
			so.Destroy()
			return nil, "", err
		}
		if o.Notice != nil {
			why := textutil.FirstLine(err.Error())
			var ce *cudaError
			if errors.As(err, &ce) {
				why = ce.short
			}
			o.Notice("CUDA not available, running on CPU (" + why + ")")
		}
		return so, "cpu", nil
	}
	return so, fmt.Sprintf("cuda:%d", id), nil
}

// appendCUDA adds the CUDA execution provider; its error names the library
// that did not load.
func appendCUDA(so *ort.SessionOptions, id int, graph bool) error {
	co, err := ort.NewCUDAProviderOptions()
	if err != nil {
		return cudaErr(err)
	}
	defer co.Destroy()
	opts := map[string]string{"device_id": strconv.Itoa(id)}
	if graph {
		opts["enable_cuda_graph"] = "1"
	}
	if err := co.Update(opts); err != nil {
		return cudaErr(err)
	}
	if err := so.AppendExecutionProviderCUDA(co); err != nil {
		return cudaErr(err)
	}
	return nil
}

func cudaErr(err error) error {
	msg := textutil.FirstLine(err.Error())
	if i := strings.LastIndex(msg, "with error: "); i >= 0 {
		msg = msg[i+len("with error: "):]
	}
	if !strings.Contains(msg, ".so") {
		msg = "needs libonnxruntime_providers_cuda.so and libonnxruntime_providers_shared.so beside libonnxruntime.so.1: " + msg
	}
	return &cudaError{short: msg, msg: "cuda: provider did not load: " + msg, cause: err}
}

// cudaError is a one-line CUDA provider failure keeping ORT's error as cause.
type cudaError struct {
	short string // the failure without the install hint
	msg   string
	cause error
}

func (e *cudaError) Error() string { return e.msg }
func (e *cudaError) Unwrap() error { return e.cause }

// Is makes every provider failure match ErrCUDAProvider.
func (e *cudaError) Is(target error) bool { return target == ErrCUDAProvider }

// ErrCUDAProvider matches a CUDA execution provider that did not load (its
// libraries, CUDA or cuDNN missing).
var ErrCUDAProvider = errors.New("CUDA provider did not load")

// Spec returns the validated model description.
func (e *Engine) Spec() *ModelSpec { return e.spec }

// Device is where the session runs ("cpu", "cuda:0").
func (e *Engine) Device() string { return e.device }

// KVMemory is where the KV cache lives ("cpu", "cuda:0").
func (e *Engine) KVMemory() string { return e.kv.mem.name() }

// Runtime describes the loaded ONNX Runtime library.
func (e *Engine) Runtime() Runtime { return e.rt }

// KVCacheBytes is the memory the KV cache holds now (sized by the last
// Generate call).
func (e *Engine) KVCacheBytes() int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.kv.Bytes()
}

// Close frees the session and buffers.
func (e *Engine) Close() error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.closed {
		return nil
	}
	e.closed = true
	e.closeGraphs()
	if e.argmax != nil {
		e.argmax.close()
	}
	e.kv.free()
	e.kvClose()
	for _, b := range []buffer{e.scratch.ids, e.scratch.mask, e.scratch.pos, e.scratch.logits} {
		if b != nil {
			b.free()
		}
	}
	if e.keep != nil {
		_ = e.keep.Destroy()
	}
	return e.sess.Destroy()
}

// row is the state of one sequence during Generate.
type row struct {
	req     GenRequest
	idx     int // the request's index in the call
	stopCol int // ping-pong: first column not attended (after the row stopped)
	maxNew  int
	length  int // positions in the KV cache
	next    int // token to feed next
	done    bool
	res     GenResult
	sampler *sampler
	lp      TokenLogprob // the log probability of the token being accepted
}

// Generate continues each request; results are in request order. Greedy
// decoding (zero Sampling) is deterministic, and a sequence gets the same
// tokens batched as alone.
func (e *Engine) Generate(ctx context.Context, reqs []GenRequest) ([]GenResult, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.closed {
		return nil, errclass.AsFatal(errors.New("onnx: engine closed"))
	}
	if len(reqs) == 0 {
		return nil, nil
	}
	defer e.guard.Restore()
	s := e.spec
	rows := make([]*row, len(reqs))
	maxP, maxNew := 0, 0
	for i, r := range reqs {
		if err := e.validate(r); err != nil {
			return nil, fmt.Errorf("onnx: request %d: %w", i, err)
		}
		n := r.MaxNewTokens
		if n <= 0 {
			n = DefaultMaxNewTokens
		}
		rows[i] = &row{req: r, idx: i, maxNew: n, sampler: newSampler(r.Sampling, r.InputIDs, r.Mask)}
		maxP, maxNew = max(maxP, len(r.InputIDs)), max(maxNew, n)
	}
	// The cache holds what this batch needs, never the model's maximum.
	capacity := min(maxP+maxNew, s.ContextLength)
	if err := e.kv.reset(len(reqs), capacity); err != nil {
		return nil, errclass.AsFatal(err)
	}
	// On the shared cache the prompts go into cache rows in the prefill
	// plan's order (g.rows); results stay in request order (rows).
	g := &gen{e: e, rows: rows, capacity: capacity}
	var plan prefillPlan
	passTokens := e.chunk
	if s.ShareBuffer {
		lens := make([]int, len(reqs))
		for i, r := range reqs {
			lens[i] = len(r.InputIDs)
		}
		group, first := e.prefillLimits(len(reqs), capacity)
		plan = planPrefill(lens, e.chunk, group, first)
		g.rows = make([]*row, len(rows))
		for slot, i := range plan.order {
			g.rows[slot] = rows[i]
		}
		for _, p := range plan.passes {
			passTokens = max(passTokens, (p.hi-p.lo)*p.seq)
		}
	}
	if err := e.ensureScratch(len(reqs), capacity, passTokens); err != nil {
		return nil, errclass.AsFatal(err)
	}
	start := time.Now()
	var err error
	if s.ShareBuffer {
		err = g.prefillShared(ctx, plan)
	} else {
		err = g.prefillPingPong(ctx, maxP)
	}
	if err == nil {
		err = g.fetchErr
	}
	if err != nil {
		return nil, err
	}
	prefill := time.Since(start)
	start = time.Now()
	produced := 0
	for g.active() {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		n, err := g.decode()
		if err == nil {
			err = g.fetchErr
		}
		if err != nil {
			return nil, err
		}
		produced += n
	}
	decode := time.Since(start)
	if err := masksErr(rows); err != nil {
		return nil, err
	}
	out := make([]GenResult, len(rows))
	for i, r := range rows {
		out[i] = r.res
		out[i].PrefillMs = float64(prefill.Microseconds()) / 1000
		out[i].DecodeMs = float64(decode.Microseconds()) / 1000
		out[i].DecodeTokens = produced
	}
	return out, nil
}

// keepValue is the logits_to_keep input's value: 1, the last position.
func keepValue(s *ModelSpec) (ort.Value, error) {
	switch {
	case s.keepRank == 0 && s.keepType == ort.TensorElementDataTypeInt32:
		return ort.NewScalar[int32](1)
	case s.keepRank == 0:
		return ort.NewScalar[int64](1)
	case s.keepType == ort.TensorElementDataTypeInt32:
		return ort.NewTensor(ort.NewShape(1), []int32{1})
	}
	return ort.NewTensor(ort.NewShape(1), []int64{1})
}

// validate checks one request against the model.
func (e *Engine) validate(r GenRequest) error {
	s := e.spec
	if len(r.InputIDs) == 0 {
		return errors.New("empty input ids")
	}
	for _, id := range r.InputIDs {
		if id < 0 || id >= s.Vocab {
			return fmt.Errorf("token id %d outside the vocabulary (0..%d)", id, s.Vocab-1)
		}
	}
	if len(r.InputIDs) > s.ContextLength {
		return fmt.Errorf("prompt of %d tokens exceeds the context length %d", len(r.InputIDs), s.ContextLength)
	}
	return nil
}

// ensureScratch sizes the step input and logits buffers; passTokens is
// the most tokens a prefill pass feeds.
func (e *Engine) ensureScratch(batch, capacity, passTokens int) error {
	s := e.spec
	grow := func(b *buffer, n int) error {
		if *b != nil && (*b).size() >= n {
			return nil
		}
		if *b != nil {
			(*b).free()
		}
		nb, err := cpuMemory{}.alloc(n)
		*b = nb
		return err
	}
	// A forward pass holds at most max(passTokens, batch) tokens. The
	// ping-pong path splits the chunk between the rows; the shared path
	// batches prompts only when the logits are one row per sequence, so
	// the logits buffer (tokens × vocabulary) does not grow with the batch.
	tokens := max(passTokens, batch)
	if err := grow(&e.scratch.ids, tokens*8); err != nil {
		return err
	}
	if err := grow(&e.scratch.pos, tokens*8); err != nil {
		return err
	}
	if err := grow(&e.scratch.mask, batch*capacity*8); err != nil {
		return err
	}
	// Logits stay where the KV cache is: on a GPU only the rows sampled
	// are copied to the host. A graph that computes the last position's
	// logits only needs one row per sequence.
	rows := tokens
	if s.LastLogits {
		rows = batch
	}
	n := rows * s.Vocab * elemSize(s.LogitsType)
	if e.scratch.logits != nil && e.scratch.logits.size() >= n {
		return nil
	}
	if e.scratch.logits != nil {
		e.scratch.logits.free()
	}
	var err error
	e.scratch.logits, err = e.kv.mem.alloc(n)
	return err
}

// gen is one Generate call in progress.
type gen struct {
	e        *Engine
	rows     []*row
	capacity int
	width    int       // ping-pong: positions on the shared time axis
	pads     []int     // ping-pong: left padding per row
	logits   []float32 // one row's logits, converted
	rowBytes []byte    // one row's logits fetched from device memory
	toks     []int     // greedy ids of the last step
	fetchErr error     // first failure to fetch logits from the device
	lp       logprobScratch
}

func (g *gen) active() bool {
	for _, r := range g.rows {
		if !r.done {
			return true
		}
	}
	return false
}

// accept records a sampled token and decides whether the row stops.
func (g *gen) accept(r *row, tok int) {
	for _, e := range g.e.spec.EOS {
		if tok == e && !r.req.IgnoreEOS {
			r.done, r.res.Stop = true, infer.StopEOS
			if r.req.OnToken != nil {
				r.req.OnToken(-1, nil, infer.StopEOS)
			}
			return
		}
	}
	r.res.OutputIDs = append(r.res.OutputIDs, tok)
	if r.req.Logprobs {
		r.res.Logprobs = append(r.res.Logprobs, r.lp)
	}
	r.next = tok
	switch {
	case len(r.res.OutputIDs) >= r.maxNew:
		r.done, r.res.Stop = true, infer.StopLength
	case r.length+1 > g.capacity || r.length+1 > g.e.spec.ContextLength:
		r.done, r.res.Stop = true, infer.StopContext
	}
	if r.req.OnToken != nil {
		var lp *TokenLogprob
		if r.req.Logprobs {
			lp = &r.res.Logprobs[len(r.res.Logprobs)-1]
		}
		if why := r.req.OnToken(tok, lp, r.res.Stop); why != "" {
			r.done, r.res.Stop = true, why
		}
	}
}

// putInt writes v into b as element i of integer type t.
func putInt(b []byte, i int, t ort.TensorElementDataType, v int64) {
	if t == ort.TensorElementDataTypeInt32 {
		*(*int32)(unsafe.Pointer(&b[i*4])) = int32(v)
	} else {
		*(*int64)(unsafe.Pointer(&b[i*8])) = v
	}
}

// step runs one forward pass. ids/mask/pos are already written for a batch
// of n rows, seq new tokens and a mask of width total; past/present are the
// KV views. It returns the ORT-allocated logits for static-output graphs.
func (g *gen) step(n, seq, total int, past, present []ort.Value) (staticLogits *ort.Tensor[float32], err error) {
	s := g.e.spec
	sc := &g.e.scratch
	var owned []ort.Value
	defer func() { destroyAll(owned) }()
	mk := func(b buffer, shape ort.Shape, t ort.TensorElementDataType) ort.Value {
		if err != nil {
			return nil
		}
		var v ort.Value
		v, err = b.view(0, shape, t)
		owned = append(owned, v)
		return v
	}
	maskType := s.MaskType
	idsV := mk(sc.ids, ort.NewShape(int64(n), int64(seq)), s.IDsType)
	maskV := mk(sc.mask, ort.NewShape(int64(n), int64(total)), maskType)
	posV := mk(sc.pos, ort.NewShape(int64(n), int64(seq)), ort.TensorElementDataTypeInt64)
	if err != nil {
		return nil, fmt.Errorf("onnx: step inputs: %w", err)
	}
	inputs := s.stepInputs(idsV, maskV, posV, g.e.keep, past)
	outputs := make([]ort.Value, len(s.OutputNames))
	if !s.StaticOutputs {
		kept := seq
		if s.LastLogits {
			kept = 1
		}
		outputs[0] = mk(sc.logits, ort.NewShape(int64(n), int64(kept), int64(s.Vocab)), s.LogitsType)
		if err != nil {
			return nil, fmt.Errorf("onnx: logits buffer: %w", err)
		}
		copy(outputs[1:], present)
	}
	if err := g.e.run(inputs, outputs, nil); err != nil {
		return nil, fmt.Errorf("onnx: forward pass (batch %d, %d new tokens, %d total): %w", n, seq, total, err)
	}
	if s.StaticOutputs {
		for i, o := range outputs[1:] {
			if t, ok := o.(*ort.Tensor[float32]); ok && present != nil {
				if pb, ok2 := present[i].(*ort.CustomDataTensor); ok2 && pb.GetShape().Equals(t.GetShape()) {
					copy(unsafe.Slice((*float32)(unsafe.Pointer(&pb.GetData()[0])), len(t.GetData())), t.GetData())
				}
			}
			_ = o.Destroy()
		}
		t, ok := outputs[0].(*ort.Tensor[float32])
		if !ok {
			_ = outputs[0].Destroy()
			return nil, fmt.Errorf("onnx: logits are not fp32")
		}
		return t, nil
	}
	return nil, nil
}

// rowLogits converts the logits of (row r, position p) of a [n, seq, V]
// output into g.logits.
func (g *gen) rowLogits(static *ort.Tensor[float32], r, p, seq int) []float32 {
	s := g.e.spec
	V := s.Vocab
	if cap(g.logits) < V {
		g.logits = make([]float32, V)
	}
	out := g.logits[:V]
	if static != nil {
		// Fixed-shape graphs (the builder's dummy decoder): read the
		// nearest row and position the graph produced.
		sh := static.GetShape()
		r = min(r, int(sh[0])-1)
		p = min(p, int(sh[1])-1)
		copy(out, static.GetData()[(r*int(sh[1])+p)*V:])
		return out
	}
	if s.LastLogits {
		p, seq = 0, 1 // only the last position's logits were computed
	}
	off := (r*seq + p) * V
	b := g.e.scratch.logits.bytes()
	if b == nil {
		b, off = g.fetchLogits(off, V)
	}
	if s.LogitsType == ort.TensorElementDataTypeFloat16 {
		h := unsafe.Slice((*uint16)(unsafe.Pointer(&b[0])), len(b)/2)[off : off+V]
		for i, x := range h {
			out[i] = halfToFloat(x)
		}
	} else {
		copy(out, unsafe.Slice((*float32)(unsafe.Pointer(&b[0])), len(b)/4)[off:off+V])
	}
	for i, v := range out {
		if math.IsNaN(float64(v)) {
			out[i] = float32(math.Inf(-1))
		}
	}
	return out
}

// prefillPingPong prefills the whole batch together, prompts left-padded to
// the longest, in chunks of columns; positions count real tokens only.
func (g *gen) prefillPingPong(ctx context.Context, maxP int) error {
	s := g.e.spec
	sc := &g.e.scratch
	n := len(g.rows)
	g.pads = make([]int, n)
	for b, r := range g.rows {
		g.pads[b] = maxP - len(r.req.InputIDs)
	}
	step := max(1, g.e.chunk/n)
	for off := 0; off < maxP; off += step {
		if err := ctx.Err(); err != nil {
			return err
		}
		seq := min(step, maxP-off)
		total := off + seq
		for b, r := range g.rows {
			pad := g.pads[b]
			for i := 0; i < seq; i++ {
				col := off + i
				tok, pos := int64(s.Pad), int64(1)
				if col >= pad {
					tok, pos = int64(r.req.InputIDs[col-pad]), int64(col-pad)
				}
				putInt(sc.ids.bytes(), b*seq+i, s.IDsType, tok)
				putInt(sc.pos.bytes(), b*seq+i, ort.TensorElementDataTypeInt64, pos)
			}
			for col := 0; col < total; col++ {
				m := int64(0)
				if col >= pad {
					m = 1
				}
				putInt(sc.mask.bytes(), b*total+col, s.MaskType, m)
			}
		}
		past, present, err := g.e.kv.pingPongViews(off, seq)
		if err != nil {
			return fmt.Errorf("onnx: kv views: %w", err)
		}
		static, err := g.step(n, seq, total, past, present)
		destroyAll(past, present)
		if err != nil {
			return err
		}
		g.e.kv.swap()
		if off+seq == maxP {
			for b, r := range g.rows {
				r.length = len(r.req.InputIDs)
				g.accept(r, g.pick(r, g.observe(b, g.rowLogits(static, b, seq-1, seq))))
			}
		}
		if static != nil {
			_ = static.Destroy()
		}
	}
	g.width = maxP
	return nil
}

// decode feeds every row its next token in one forward pass and samples the
// rows still running. It returns the number of tokens produced.
func (g *gen) decode() (int, error) {
	s := g.e.spec
	sc := &g.e.scratch
	n := len(g.rows)
	if s.ShareBuffer && g.e.graphs != nil {
		return g.decodeStatic()
	}
	if s.ShareBuffer {
		total := 0
		for b, r := range g.rows {
			slot := r.length
			if r.done {
				// A stopped row rewrites one scratch slot it no longer reads.
				slot = min(r.length, g.capacity-1)
			}
			tok := int64(r.next)
			if r.done {
				tok = int64(s.Pad)
			}
			putInt(sc.ids.bytes(), b, s.IDsType, tok)
			putInt(sc.pos.bytes(), b, ort.TensorElementDataTypeInt64, int64(slot))
			total = max(total, slot+1)
		}
		for b, r := range g.rows {
			slot := r.length
			if r.done {
				slot = min(r.length, g.capacity-1)
			}
			for c := 0; c < total; c++ {
				m := int64(0)
				if c <= slot {
					m = 1
				}
				putInt(sc.mask.bytes(), b*total+c, s.MaskType, m)
			}
		}
		kv, err := g.e.kv.sharedViews(0, n)
		if err != nil {
			return 0, fmt.Errorf("onnx: kv views: %w", err)
		}
		static, err := g.step(n, 1, total, kv, kv)
		destroyAll(kv)
		if err != nil {
			return 0, err
		}
		return g.sampleAll(static), nil
	}
	if g.width+1 > g.capacity {
		for _, r := range g.rows {
			if !r.done {
				r.done, r.res.Stop = true, infer.StopContext
				if r.req.OnToken != nil {
					r.req.OnToken(-1, nil, infer.StopContext)
				}
			}
		}
		return 0, nil
	}
	total := g.width + 1
	for b, r := range g.rows {
		if r.done && r.stopCol == 0 {
			r.stopCol = g.width
		}
		tok := int64(r.next)
		if r.done {
			tok = int64(s.Pad)
		}
		putInt(sc.ids.bytes(), b, s.IDsType, tok)
		putInt(sc.pos.bytes(), b, ort.TensorElementDataTypeInt64, int64(r.length))
		for c := 0; c < total; c++ {
			m := int64(1)
			if c < g.pads[b] || (r.done && c >= r.stopCol) {
				m = 0
			}
			putInt(sc.mask.bytes(), b*total+c, s.MaskType, m)
		}
	}
	past, present, err := g.e.kv.pingPongViews(g.width, 1)
	if err != nil {
		return 0, fmt.Errorf("onnx: kv views: %w", err)
	}
	static, err := g.step(n, 1, total, past, present)
	destroyAll(past, present)
	if err != nil {
		return 0, err
	}
	g.e.kv.swap()
	g.width++
	return g.sampleAll(static), nil
}

// sampleAll advances every running row by the token its logits give.
func (g *gen) sampleAll(static *ort.Tensor[float32]) int {
	if static != nil {
		defer static.Destroy()
	}
	produced := 0
	var toks []int
	if static == nil && g.allGreedy() {
		var err error
		if toks, err = g.greedyTokens(len(g.rows)); err != nil && g.fetchErr == nil {
			g.fetchErr = err
		}
	}
	for b, r := range g.rows {
		if r.done {
			continue
		}
		r.length++
		if toks != nil {
			if g.e.tap != nil {
				g.observe(b, g.rowLogits(static, b, 0, 1))
			}
			r.sampler.acceptMasked(toks[b])
			g.accept(r, toks[b])
		} else {
			g.accept(r, g.pick(r, g.observe(b, g.rowLogits(static, b, 0, 1))))
		}
		produced++
	}
	return produced
}

// CheckCUDA tells whether the CUDA execution provider loads for GPU id (the
// runtime must be loaded); the error names the library that did not.
func CheckCUDA(id int) error {
	so, err := ort.NewSessionOptions()
	if err != nil {
		return err
	}
	defer so.Destroy()
	return appendCUDA(so, id, false)
}
