package tokenizer

import (
	"bufio"
	"encoding/json"
	"os"
	"slices"
	"testing"
)

// TestCrossCheck compares EncodeOrdinary with tiktoken's ids on the random
// strings that bench/tokenizer/crosscheck.sh generates (file named by
// TOKENIZER_CROSSCHECK); without it the test is skipped.
func TestCrossCheck(t *testing.T) {
	file := os.Getenv("TOKENIZER_CROSSCHECK")
	if file == "" {
		t.Skip("TOKENIZER_CROSSCHECK not set; run bench/tokenizer/crosscheck.sh")
	}
	tok := llama(t)
	f, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<24)
	n, bad := 0, 0
	for sc.Scan() {
		var c struct {
			Text string `json:"text"`
			IDs  []int  `json:"ids"`
		}
		if err := json.Unmarshal(sc.Bytes(), &c); err != nil {
			t.Fatal(err)
		}
		n++
		if got := tok.EncodeOrdinary(c.Text); !slices.Equal(got, c.IDs) {
			bad++
			if bad <= 10 {
				t.Errorf("%q\n got %v\nwant %v", c.Text, got, c.IDs)
			}
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	t.Logf("crosscheck: %d strings, %d differ from tiktoken", n, bad)
}
