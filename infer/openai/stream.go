package openai

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"

	"github.com/llsum/llsum/infer"
	"github.com/llsum/llsum/internal/oaiwire"
)

// streamReply reads a streamed /chat/completions reply (Server-Sent Events
// of chat.completion.chunk objects, then [DONE]) into the ChatResponse the
// non-streamed reply would have been, passing each content delta to
// onDelta as it arrives.
type streamReply struct {
	onDelta func(infer.Delta) bool
	resp    oaiwire.ChatResponse
	// delivered counts deltas passed to onDelta: an attempt that fails
	// after some is not retried, since the caller has seen its text.
	delivered int
	// limit bounds the reply's text and any one event (replyLimit of the
	// request's max_tokens; 0: maxReplyBytes). The whole stream, with its
	// per-event overhead, is bounded by maxReplyBytes.
	limit int64
}

// streamChunk is what the client reads of a chat.completion.chunk event:
// decoding into it skips the fields it does not need (id, model, role...)
// without allocating them, and one value serves a whole stream (reset).
type streamChunk struct {
	Choices []struct {
		Index int `json:"index"`
		Delta struct {
			Content string `json:"content"`
		} `json:"delta"`
		FinishReason *string `json:"finish_reason"`
	} `json:"choices"`
	Usage *oaiwire.Usage `json:"usage"`
	Error *struct {
		Message string `json:"message"`
	} `json:"error"`
}

// reset empties c for the next event, keeping the choices' array: json
// decodes into a slice's existing elements, field by field.
func (c *streamChunk) reset() {
	clear(c.Choices[:cap(c.Choices)])
	c.Choices, c.Usage, c.Error = c.Choices[:0], nil, nil
}

// lineBufs holds the streams' line buffers (4 KiB; one that grew past
// maxPooledLine for a long event is dropped).
var lineBufs = sync.Pool{New: func() any { b := make([]byte, 0, 4<<10); return &b }}

const maxPooledLine = 64 << 10

var (
	dataPrefix = []byte("data:")
	doneEvent  = []byte("[DONE]")
)

// errStreamCut marks a stream that ended without [DONE].
var errStreamCut = errors.New("stream ended before [DONE]")

// errStreamTooLarge marks a stream whose text (or one event) exceeds the
// reply limit: a server fault.
var errStreamTooLarge = errors.New("streamed reply larger than the limit for this request's max_tokens")

// read consumes the event stream. Its errors are transport errors (the
// stream was cut) or a reply that is not a valid stream.
func (s *streamReply) read(r io.Reader) (oc outcome, err error) {
	var text strings.Builder
	finish := ""
	tokens := 0
	s.resp = oaiwire.ChatResponse{}
	limit := s.limit
	if limit <= 0 || limit > maxReplyBytes {
		limit = maxReplyBytes
	}
	sc := bufio.NewScanner(io.LimitReader(r, maxReplyBytes))
	buf := lineBufs.Get().(*[]byte)
	defer func() {
		if cap(*buf) <= maxPooledLine {
			lineBufs.Put(buf)
		}
	}()
	sc.Buffer((*buf)[:0], int(limit))
	var c streamChunk
	for sc.Scan() {
		data, ok := bytes.CutPrefix(sc.Bytes(), dataPrefix)
		if !ok {
			continue // comments, event names, blank separators
		}
		data = bytes.TrimSpace(data)
		if bytes.Equal(data, doneEvent) {
			content := text.String()
			s.resp.Choices = []oaiwire.Choice{{Message: oaiwire.ReplyMessage{Role: infer.RoleAssistant, Content: &content}, FinishReason: finish}}
			if s.onDelta != nil {
				s.onDelta(infer.Delta{Stop: stopReason(finish), CompletionTokens: tokens})
			}
			return answered, nil
		}
		c.reset()
		if err := json.Unmarshal(data, &c); err != nil {
			return rejected, fmt.Errorf("stream event is not valid JSON (%w): %s", err, bodyText(string(data), 120))
		}
		if c.Error != nil {
			return rejected, fmt.Errorf("reply is an error: %s", bodyText(c.Error.Message, 300))
		}
		if c.Usage != nil { // a fresh value: reset drops it
			s.resp.Usage = c.Usage
			tokens = c.Usage.CompletionTokens
		}
		for _, ch := range c.Choices {
			if ch.Index != 0 {
				continue
			}
			if ch.FinishReason != nil {
				finish = *ch.FinishReason
			}
			if ch.Delta.Content != "" {
				if int64(text.Len()+len(ch.Delta.Content)) > limit {
					return s.tooLarge()
				}
				text.WriteString(ch.Delta.Content)
				if s.onDelta != nil {
					s.delivered++
					s.onDelta(infer.Delta{Text: ch.Delta.Content})
				}
			}
		}
	}
	err = sc.Err()
	if errors.Is(err, bufio.ErrTooLong) {
		return s.tooLarge()
	}
	if err == nil {
		err = errStreamCut
	}
	if s.delivered > 0 {
		return rejected, fmt.Errorf("reply cut off after %d bytes of text: %w", text.Len(), err)
	}
	return unreachable, fmt.Errorf("reply cut off: %w", err)
}

// tooLarge is the outcome of a stream over its limit: a server fault,
// retried as a 5xx is unless the caller has already seen some of its text.
func (s *streamReply) tooLarge() (outcome, error) {
	if s.delivered > 0 {
		return rejected, errStreamTooLarge
	}
	return busy, errStreamTooLarge
}
