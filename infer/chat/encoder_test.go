package chat

import (
	"slices"
	"testing"
)

// TestEncoder: the encoder gives the reference ids of every vector rendered
// with the tokenizer's own template and a generation prompt.
func TestEncoder(t *testing.T) {
	v := loadChatVectors(t)
	tk := llama(t)
	enc, err := NewEncoder(tk, Options{})
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, c := range v.Cases {
		if c.Template != "pkg-llama3_1" || !c.AddGenerationPrompt || c.BOSToken != tk.BOSToken() {
			continue
		}
		n++
		ids, err := enc.EncodeChat(c.Messages)
		if err != nil {
			t.Fatalf("%s: %v", c.ID, err)
		}
		if !slices.Equal(ids, c.IDs) {
			t.Errorf("%s: ids\n got %v\nwant %v", c.ID, ids, c.IDs)
		}
		text, err := enc.Decode(ids)
		if err != nil || text != c.Rendered {
			t.Errorf("%s: Decode = %q, %v", c.ID, text, err)
		}
	}
	if n == 0 {
		t.Fatal("no vector uses the tokenizer's template with a generation prompt")
	}
}
