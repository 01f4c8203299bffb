package extractive

import (
	"context"
	"reflect"
	"strings"
	"testing"

	"github.com/llsum/llsum/infer"
)

func TestSplitSentences(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want []string
	}{
		{"english", "The cat sat. The dog ran! Did it? Yes.",
			[]string{"The cat sat.", "The dog ran!", "Did it?", "Yes."}},
		{"abbreviations and decimals", "See e.g. Dr. Smith at 3.5 km. Then go home.",
			[]string{"See e.g. Dr. Smith at 3.5 km.", "Then go home."}},
		{"initials", "Written by J. R. Tolkien in Oxford. It sold well.",
			[]string{"Written by J. R. Tolkien in Oxford.", "It sold well."}},
		{"quotes close the sentence", `He said "stop." She left.`,
			[]string{`He said "stop."`, "She left."}},
		{"chinese", "今天天气很好。我们去公园吧！你来吗？",
			[]string{"今天天气很好。", "我们去公园吧！", "你来吗？"}},
		{"japanese", "これはペンです。あれは本です。",
			[]string{"これはペンです。", "あれは本です。"}},
		{"line breaks folded, hyphenation joined", "A long sen-\ntence that\nwraps. Next one.",
			[]string{"A long sentence that wraps.", "Next one."}},
		{"cjk line breaks dropped", "这是一个很长\n的句子。",
			[]string{"这是一个很长的句子。"}},
		{"paragraphs and headings", "# Title\nBody text here\n\nSecond para",
			[]string{"Title", "Body text here", "Second para"}},
		{"title lines of extracted text", "Rooftop Solar\nPanels make power. They pay\noff.\nPlanning Ahead\nMeasure first.",
			[]string{"Rooftop Solar", "Panels make power.", "They pay off.", "Planning Ahead", "Measure first."}},
		{"form feed is a paragraph break", "page one\fpage two",
			[]string{"page one", "page two"}},
		{"empty", "  \n\n ", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := SplitSentences(tt.in)
			if !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("SplitSentences(%q)\n got %q\nwant %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestSummarizeKeepsOrderAndCentralSentences(t *testing.T) {
	text := strings.Join([]string{
		"Solar panels convert sunlight into electricity for homes.",
		"My neighbour owns a red bicycle.",
		"Electricity from solar panels lowers the cost of running homes.",
		"Bananas are yellow.",
		"Homes with solar panels sell electricity back to the grid.",
		"The weather was cloudy on Tuesday.",
		"A train left the station at noon.",
		"Her cousin plays the violin in an orchestra.",
		"The museum closes early on Sundays.",
	}, " ")
	s := New(Options{MaxSentences: 3})
	res, err := s.Summarize(context.Background(), []infer.Task{{Text: text}})
	if err != nil {
		t.Fatal(err)
	}
	want := "Solar panels convert sunlight into electricity for homes. " +
		"Electricity from solar panels lowers the cost of running homes. " +
		"Homes with solar panels sell electricity back to the grid."
	if res[0].Summary != want {
		t.Fatalf("summary\n got %q\nwant %q", res[0].Summary, want)
	}
	if res[0].PromptTokens != ApproxTokens(text) || res[0].CompletionTokens == 0 {
		t.Fatalf("token counts: %+v", res[0])
	}
}

func TestSummarizeChinese(t *testing.T) {
	text := "大型语言模型可以总结文档。模型在本地运行，保护隐私。今天下雨了。本地语言模型总结文档很快。猫喜欢睡觉。"
	res, err := New(Options{MaxSentences: 2}).Summarize(context.Background(), []infer.Task{{Text: text}})
	if err != nil {
		t.Fatal(err)
	}
	got := res[0].Summary
	if !strings.Contains(got, "大型语言模型可以总结文档。") || !strings.Contains(got, "本地语言模型总结文档很快。") {
		t.Fatalf("summary %q misses the central sentences", got)
	}
	if strings.Contains(got, " ") {
		t.Fatalf("CJK sentences joined with a space: %q", got)
	}
}

func TestSummarizeRespectsTokenBudget(t *testing.T) {
	var b strings.Builder
	for i := 0; i < 3000; i++ {
		b.WriteString("Sentence number about topic alpha beta gamma continues here. ")
	}
	s := New(Options{})
	res, err := s.Summarize(context.Background(), []infer.Task{{Text: b.String(), MaxNewTokens: 40}})
	if err != nil {
		t.Fatal(err)
	}
	if n := ApproxTokens(res[0].Summary); n > 40 {
		t.Fatalf("summary has %d approx tokens, budget 40", n)
	}
	if res[0].Summary == "" {
		t.Fatal("empty summary")
	}
}

func TestSummarizeCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := New(Options{}).Summarize(ctx, []infer.Task{{Text: "a. b."}}); err == nil {
		t.Fatal("no error on a cancelled context")
	}
}

func BenchmarkSummarizeLong(b *testing.B) {
	var sb strings.Builder
	words := strings.Fields("model summary document page text token chunk window engine cache memory batch")
	for i := 0; i < 20000; i++ {
		for j := 0; j < 12; j++ {
			sb.WriteString(words[(i*7+j*3)%len(words)])
			sb.WriteByte(' ')
		}
		sb.WriteString("end. ")
	}
	text := sb.String()
	s := New(Options{})
	b.SetBytes(int64(len(text)))
	for b.Loop() {
		if _, err := s.Summarize(context.Background(), []infer.Task{{Text: text}}); err != nil {
			b.Fatal(err)
		}
	}
}

func TestTerms(t *testing.T) {
	tests := []struct {
		name, in string
		want     []string
	}{
		{"english stop words dropped", "The cat and the dog", []string{"cat", "dog"}},
		{"devanagari marks stay with their letters", "नमस्ते दुनिया", []string{"नमस्ते", "दुनिया"}},
		{"hindi stop words dropped", "यह किताब है", []string{"किताब"}},
		{"thai bigrams of letters with their marks", "ที่นี่ดี", []string{"ที่นี่", "นี่ดี"}},
		{"a single thai letter", "ก", []string{"ก"}},
		{"han: the first character, then bigrams", "语言模型", []string{"语", "语言", "言模", "模型"}},
		{"thai then latin", "ภาษา Go", []string{"ภา", "าษ", "ษา", "go"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Terms(tt.in); !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("Terms(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

// TestSummarizeHindiAndThai: the danda and Thai spaces end sentences, so a
// summary keeps some sentences, not the whole text.
func TestSummarizeHindiAndThai(t *testing.T) {
	for _, text := range []string{
		"आप इस साइट से सुरक्षित रूप से नहीं जुड़े हैं। अपने खाते की सुरक्षा के लिए अपना पासवर्ड बदलें। इस पासवर्ड को बदलें। यह पासवर्ड किसी अन्य खाते पर उपयोग किया गया है।",
		"การเชื่อมต่อของคุณไปยังไซต์นี้ไม่เป็นส่วนตัว ให้เปลี่ยนรหัสผ่านของคุณเพื่อปกป้องบัญชีของคุณ ตอนนี้ได้เวลาสำรองรหัสผ่านและที่คั่นหน้าของคุณแล้ว รับความเป็นส่วนตัวที่มากขึ้นด้วยการซ่อนตำแหน่งที่ตั้งของคุณขณะท่องเว็บ",
	} {
		res, err := New(Options{}).Summarize(context.Background(), []infer.Task{{Text: text}})
		if err != nil {
			t.Fatal(err)
		}
		if s := res[0].Summary; s == "" || len(s) > len(text)*MaxShare/100 || !strings.Contains(text, strings.Fields(s)[0]) {
			t.Errorf("summary of %d bytes of a %d-byte text: %q", len(s), len(text), s)
		}
	}
}
