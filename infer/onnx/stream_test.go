package onnx

import (
	"context"
	"strings"
	"sync"
	"testing"
	"unicode/utf8"

	"github.com/llsum/llsum/infer"
	"github.com/llsum/llsum/internal/genmodel"
)

// TestChatStreaming: on a generated model with a real byte-level tokenizer
// (random weights emit arbitrary bytes, so tokens often end inside a
// multi-byte character), the deltas are valid UTF-8 and add up to the
// non-streamed reply; a stop string ends the reply before it; a request
// whose OnDelta says no is dropped at the next step while its batch-mate
// gets the same reply as alone.
func TestChatStreaming(t *testing.T) {
	needRuntime(t)
	dir := genModel(t, genmodel.FlavourGenAI, genmodel.DTypeFP32, false)
	cm, err := OpenChatModel(context.Background(), Options{Model: dir, Device: "cpu", Lib: DefaultLibOptions("")})
	if err != nil {
		t.Fatal(err)
	}
	defer cm.Close()
	ctx := context.Background()
	msgs := []infer.Message{{Role: infer.RoleUser, Content: "Say something about the sun."}}
	const n = 40
	ref, err := cm.Chat(ctx, []infer.ChatRequest{{Messages: msgs, MaxNewTokens: n}})
	if err != nil {
		t.Fatal(err)
	}
	want := ref[0]
	if want.CompletionTokens < 5 {
		t.Fatalf("reference reply too short to test with: %+v", want)
	}

	var deltas []infer.Delta
	got, err := cm.Chat(ctx, []infer.ChatRequest{{Messages: msgs, MaxNewTokens: n, OnDelta: func(d infer.Delta) bool {
		deltas = append(deltas, d)
		return true
	}}})
	if err != nil {
		t.Fatal(err)
	}
	var joined strings.Builder
	for i, d := range deltas {
		if !utf8.ValidString(d.Text) {
			t.Errorf("delta %d %q is not valid UTF-8", i, d.Text)
		}
		if (d.Stop != "") != (i == len(deltas)-1) {
			t.Errorf("delta %d of %d has stop %q", i, len(deltas), d.Stop)
		}
		joined.WriteString(d.Text)
	}
	last := deltas[len(deltas)-1]
	if joined.String() != want.Text || got[0].Text != want.Text || last.Stop != want.Stop || last.CompletionTokens != want.CompletionTokens {
		t.Errorf("streamed %q (stop %s, %d tokens), result %q; want %q (stop %s, %d tokens)",
			joined.String(), last.Stop, last.CompletionTokens, got[0].Text, want.Text, want.Stop, want.CompletionTokens)
	}

	// A stop string taken from the middle of the reference reply.
	stop := ""
	for i := len(want.Text) / 3; i+2 <= len(want.Text) && stop == ""; i++ {
		if s := want.Text[i : i+2]; s[0] > ' ' && s[0] < 0x7f && s[1] > ' ' && s[1] < 0x7f {
			stop = s
		}
	}
	if stop == "" {
		t.Fatalf("no ASCII pair in the reference reply %q", want.Text)
	}
	cut := strings.Index(want.Text, stop)
	res, err := cm.Chat(ctx, []infer.ChatRequest{{Messages: msgs, MaxNewTokens: n, Stop: []string{stop, "never-generated"}}})
	if err != nil {
		t.Fatal(err)
	}
	if r := res[0]; r.Text != want.Text[:cut] || r.Stop != infer.StopSequence || r.CompletionTokens >= want.CompletionTokens {
		t.Errorf("stop %q: got %+v, want text %q and stop %q before %d tokens", stop, r, want.Text[:cut], infer.StopSequence, want.CompletionTokens)
	}

	// Cancelled after 3 steps, batched with a request that runs to the end.
	var mu sync.Mutex
	calls := 0
	res, err = cm.Chat(ctx, []infer.ChatRequest{
		{Messages: msgs, MaxNewTokens: n, OnDelta: func(d infer.Delta) bool {
			mu.Lock()
			defer mu.Unlock()
			calls++
			return calls < 3
		}},
		{Messages: msgs, MaxNewTokens: n},
	})
	if err != nil {
		t.Fatal(err)
	}
	if res[0].Stop != infer.StopCancelled || res[0].CompletionTokens != 3 || calls != 4 {
		t.Errorf("cancelled request: %+v after %d calls (want 3 tokens, 3 calls and a last one)", res[0], calls)
	}
	if res[1].Text != want.Text || res[1].Stop != want.Stop {
		t.Errorf("batch-mate of a cancelled request: %+v, want %+v", res[1], want)
	}
}
