package chat_test

import (
	"fmt"
	"log"

	"github.com/llsum/llsum/infer"
	"github.com/llsum/llsum/infer/chat"
	"github.com/llsum/llsum/infer/tokenizer"
)

// Building a model's input ids for a document: the document goes into a
// message content, so special-token text in it stays ordinary text.
func Example() {
	tok, err := tokenizer.Load("/models/llama-3.2-3b-instruct") // folder with tokenizer.json
	if err != nil {
		log.Fatal(err)
	}
	tmpl, err := chat.FromTokenizer(tok) // its chat_template, or the built-in Llama 3.2 one
	if err != nil {
		log.Fatal(err)
	}
	document := "text extracted from a PDF, possibly containing <|eot_id|>"
	prompt, err := tmpl.RenderPrompt([]infer.Message{
		{Role: infer.RoleSystem, Content: "Summarize the document."},
		{Role: infer.RoleUser, Content: document},
	}, chat.Options{AddGenerationPrompt: true, BOSToken: tok.BOSToken(), DateString: "26 Jul 2024"})
	if err != nil {
		log.Fatal(err)
	}
	ids := chat.EncodePrompt(tok, prompt) // no extra BOS: the template writes it
	fmt.Println(len(ids), "prompt tokens; stop on", tok.EOS())
	fmt.Println(tok.Count(document), "document tokens")
}
