// Package chat renders a model's chat template (the Jinja `chat_template` of
// tokenizer_config.json) the way Hugging Face transformers'
// apply_chat_template does: trim_blocks and lstrip_blocks on, bos_token,
// add_generation_prompt and (for Llama 3.2) date_string in the context, and
// the raise_exception and strftime_now functions.
//
// Rendering uses github.com/ardanlabs/jinja. That library strips whitespace
// between a tag and a following block tag on the same line when no text came
// before it in the template, where Python's jinja2 keeps it ("{{ x }}
// {% if %}" renders "X" instead of "X "). Compile works around it (see
// fixLeadingText); the `{%+` marker that disables lstrip_blocks for one tag is
// not supported by the library and is rejected.
//
// The rendered prompt holds special-token text (<|start_header_id|>, ...):
// encode it with EncodePrompt, which parses special tokens only outside the
// message contents and adds no BOS (the template writes bos_token itself).
// Documents must go into message contents, never into the template.
//
// Typical use: tmpl, _ := FromTokenizer(tok); p, _ := tmpl.RenderPrompt(msgs,
// Options{AddGenerationPrompt: true, BOSToken: tok.BOSToken(), DateString:
// d}); ids := EncodePrompt(tok, p).
package chat

import (
	_ "embed"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/ardanlabs/jinja"

	"github.com/llsum/llsum/infer"
	"github.com/llsum/llsum/infer/tokenizer"
	"github.com/llsum/llsum/internal/errclass"
)

//go:embed llama32.jinja
var llama32 string

// Llama32 returns the Llama 3.2 1B/3B Instruct chat template, used when a
// model folder has none. It writes a system block with "Cutting Knowledge
// Date: December 2023" and "Today Date: {date_string}".
func Llama32() string { return llama32 }

// Options are the variables transformers passes besides the messages.
type Options struct {
	// AddGenerationPrompt ends the prompt with the assistant header.
	AddGenerationPrompt bool
	// BOSToken is the tokenizer's bos_token ("<|begin_of_text|>").
	BOSToken string
	// DateString is passed as date_string when not empty. Llama 3.2's
	// template otherwise calls strftime_now("%d %b %Y"); pass a fixed date
	// for reproducible prompts.
	DateString string
	// Now is the clock of strftime_now; nil means time.Now.
	Now func() time.Time
}

// Template is a compiled chat template, safe for concurrent use.
type Template struct {
	tmpl *jinja.Template
	// prefix is what the output starts with before the template's own
	// text: marker, and its newline unless the template opens with a
	// whitespace-trimming tag.
	prefix string
}

// marker starts every compiled template (followed by a newline) so that
// the library sees text before every tag; Render removes it. See
// fixLeadingText.
const marker = "\uE000llsum-chat\uE001"

// Compile parses a chat template. Its errors are classified fatal
// (internal/errclass): no prompt can be built without the template.
func Compile(source string) (*Template, error) {
	t, err := compile(source)
	if err != nil {
		return nil, errclass.AsFatal(err)
	}
	return t, nil
}

func compile(source string) (*Template, error) {
	if strings.Contains(source, marker) {
		return nil, errors.New("chat template: contains llsum's internal marker")
	}
	if strings.Contains(source, "{%+") || strings.Contains(source, "{#+") {
		return nil, errors.New("chat template: the {%+ lstrip override is not supported")
	}
	t, err := jinja.Compile(fixLeadingText(source))
	if err != nil {
		return nil, fmt.Errorf("chat template: %w", err)
	}
	prefix := marker + "\n"
	if trimmed := strings.TrimLeft(source, " \t\r\n"); len(trimmed) > 2 && trimmed[0] == '{' &&
		strings.ContainsRune("%{#", rune(trimmed[1])) && trimmed[2] == '-' {
		prefix = marker
	}
	return &Template{tmpl: t, prefix: prefix}, nil
}

// FromTokenizer compiles the tokenizer's chat_template, or Llama32() when its
// tokenizer_config.json has none.
func FromTokenizer(tok *tokenizer.Tokenizer) (*Template, error) {
	src := tok.ChatTemplate()
	if src == "" {
		src = llama32
	}
	return Compile(src)
}

// fixLeadingText prefixes the template with marker and a newline. The
// library treats whitespace-only text before a block tag as indentation to
// strip whenever no text segment precedes it in the whole template (it takes
// that to mean "start of the template"), so "{{ x }} {% if c %}" lost its
// space. With the prefix, text always precedes, and the newline keeps the
// real start of the template a start of line, as in jinja2.
func fixLeadingText(source string) string {
	return marker + "\n" + source
}

// Render renders the template for messages.
func (t *Template) Render(messages []infer.Message, opts Options) (string, error) {
	return t.render(nil, messages, opts)
}

// Prompt is a rendered chat with the byte ranges [start, end) of Text that
// came from message contents.
type Prompt struct {
	Text     string
	Contents [][2]int
}

// EncodePrompt encodes a rendered prompt for the model: special-token text
// written by the template becomes special tokens, while anything inside a
// message content stays ordinary text, so a document cannot inject a header
// or end a turn. No BOS is added (the template writes it).
func EncodePrompt(tok *tokenizer.Tokenizer, p Prompt) []int {
	return tok.Encode(p.Text, tokenizer.EncodeOptions{Special: true, Literal: p.Contents})
}

// placeholder is the stand-in for message i's content in RenderPrompt's
// second rendering.
func placeholder(i int) string { return placeholderStart + strconv.Itoa(i) + "\uE003" }

const placeholderStart = "\uE002llsum-content-"

// RenderPrompt renders the template and finds where each message content
// lies in the result. It renders twice, once with placeholders for the
// contents, and matches the two: a template may print a content as is or
// trimmed (Llama 3 trims), anything else is an error.
func (t *Template) RenderPrompt(messages []infer.Message, opts Options) (Prompt, error) {
	text, err := t.render(nil, messages, opts)
	if err != nil {
		return Prompt{}, err
	}
	marked := make([]infer.Message, len(messages))
	for i, m := range messages {
		if strings.Contains(m.Content, placeholderStart) {
			return Prompt{}, fmt.Errorf("chat template: message %d contains llsum's internal placeholder", i)
		}
		marked[i] = infer.Message{Role: m.Role, Content: placeholder(i)}
	}
	skeleton, err := t.render(nil, marked, opts)
	if err != nil {
		return Prompt{}, err
	}
	p := Prompt{Text: text}
	pos := 0 // in text
	for {
		k := strings.Index(skeleton, placeholderStart)
		if k < 0 {
			break
		}
		lit := skeleton[:k]
		if !strings.HasPrefix(text[pos:], lit) {
			return Prompt{}, errors.New("chat template: output depends on message contents beyond printing them")
		}
		pos += len(lit)
		rest := skeleton[k+len(placeholderStart):]
		num := 0
		j := 0
		for j < len(rest) && rest[j] >= '0' && rest[j] <= '9' {
			num = num*10 + int(rest[j]-'0')
			j++
		}
		if j == 0 || !strings.HasPrefix(rest[j:], "\uE003") || num >= len(messages) {
			return Prompt{}, errors.New("chat template: transforms message contents in a way llsum cannot track")
		}
		skeleton = rest[j+len("\uE003"):]
		next := skeleton
		if k := strings.Index(next, placeholderStart); k >= 0 {
			next = next[:k]
		}
		c := messages[num].Content
		found := false
		for _, x := range []string{c, strings.TrimSpace(c), strings.TrimLeftFunc(c, unicode.IsSpace), strings.TrimRightFunc(c, unicode.IsSpace)} {
			if strings.HasPrefix(text[pos:], x) && strings.HasPrefix(text[pos+len(x):], next) {
				if len(x) > 0 {
					p.Contents = append(p.Contents, [2]int{pos, pos + len(x)})
				}
				pos += len(x)
				found = true
				break
			}
		}
		if !found {
			return Prompt{}, errors.New("chat template: transforms message contents in a way llsum cannot track")
		}
	}
	if text[pos:] != skeleton {
		return Prompt{}, errors.New("chat template: output depends on message contents beyond printing them")
	}
	return p, nil
}

// render renders with extra string variables (tests use them).
func (t *Template) render(extra map[string]string, messages []infer.Message, opts Options) (string, error) {
	msgs := make([]any, len(messages))
	for i, m := range messages {
		msgs[i] = map[string]any{"role": m.Role, "content": m.Content}
	}
	now := opts.Now
	if now == nil {
		now = time.Now
	}
	data := map[string]jinja.Value{
		"messages":              jinja.FromGoValue(msgs),
		"add_generation_prompt": jinja.NewBool(opts.AddGenerationPrompt),
		"bos_token":             jinja.NewString(opts.BOSToken),
		"strftime_now": jinja.NewCallable("strftime_now", func(args []jinja.Value, _ map[string]jinja.Value) (jinja.Value, error) {
			if len(args) != 1 {
				return jinja.Undefined(), errors.New("strftime_now: want one format argument")
			}
			if !args[0].IsString() {
				return jinja.Undefined(), errors.New("strftime_now: the format must be a string")
			}
			return jinja.NewString(strftime(now(), args[0].AsString())), nil
		}),
	}
	for k, v := range extra {
		data[k] = jinja.NewString(v)
	}
	if opts.DateString != "" {
		data["date_string"] = jinja.NewString(opts.DateString)
	}
	out, err := t.tmpl.RenderValues(data)
	if err != nil {
		return "", fmt.Errorf("chat template: render: %w", err)
	}
	rest, ok := strings.CutPrefix(out, t.prefix)
	if !ok {
		return "", errors.New("chat template: render: output lost its start marker")
	}
	return rest, nil
}

// Render compiles source (Llama32() when empty) and renders it once.
func Render(source string, messages []infer.Message, opts Options) (string, error) {
	if source == "" {
		source = llama32
	}
	t, err := Compile(source)
	if err != nil {
		return "", err
	}
	return t.Render(messages, opts)
}

// strftime formats t like Python's time.strftime for the common directives
// (%Y %y %m %d %e %H %I %M %S %p %b %B %a %A %j %Z %%, and the glibc "%-d"
// forms without padding). Others are written as they are.
func strftime(t time.Time, format string) string {
	var b strings.Builder
	for i := 0; i < len(format); i++ {
		c := format[i]
		if c != '%' || i+1 == len(format) {
			b.WriteByte(c)
			continue
		}
		i++
		pad := true
		if format[i] == '-' && i+1 < len(format) {
			pad = false
			i++
		}
		num := func(n, width int) {
			s := fmt.Sprint(n)
			for pad && len(s) < width {
				s = "0" + s
			}
			b.WriteString(s)
		}
		switch format[i] {
		case 'Y':
			num(t.Year(), 4)
		case 'y':
			num(t.Year()%100, 2)
		case 'm':
			num(int(t.Month()), 2)
		case 'd':
			num(t.Day(), 2)
		case 'e':
			fmt.Fprintf(&b, "%2d", t.Day())
		case 'H':
			num(t.Hour(), 2)
		case 'I':
			num((t.Hour()+11)%12+1, 2)
		case 'M':
			num(t.Minute(), 2)
		case 'S':
			num(t.Second(), 2)
		case 'j':
			num(t.YearDay(), 3)
		case 'p':
			b.WriteString(t.Format("PM"))
		case 'b':
			b.WriteString(t.Format("Jan"))
		case 'B':
			b.WriteString(t.Format("January"))
		case 'a':
			b.WriteString(t.Format("Mon"))
		case 'A':
			b.WriteString(t.Format("Monday"))
		case 'Z':
			b.WriteString(t.Format("MST"))
		case '%':
			b.WriteByte('%')
		default:
			b.WriteByte('%')
			if !pad {
				b.WriteByte('-')
			}
			b.WriteByte(format[i])
		}
	}
	return b.String()
}
