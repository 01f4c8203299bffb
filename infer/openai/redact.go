package openai

import (
	"net/url"
	"regexp"
	"strings"
)

// redactor removes secrets (the API key, a password or query values in the
// endpoint URL) from error text.
type redactor struct {
	secrets []string
}

const redacted = "[REDACTED]"

func newRedactor(apiKey string, u *url.URL) *redactor {
	r := &redactor{}
	add := func(s string) {
		if s != "" {
			r.secrets = append(r.secrets, s)
		}
	}
	add(apiKey)
	if p, ok := u.User.Password(); ok {
		add(p)
		add(url.PathEscape(p))
	}
	for _, vs := range u.Query() {
		for _, v := range vs {
			add(v)
			add(url.QueryEscape(v))
		}
	}
	return r
}

func (r *redactor) string(s string) string {
	for _, sec := range r.secrets {
		s = strings.ReplaceAll(s, sec, redacted)
	}
	return s
}

// wrap returns err with its text redacted; errors.Is/As still see err.
func (r *redactor) wrap(err error) error {
	if err == nil || len(r.secrets) == 0 {
		return err
	}
	return &redactedError{err: err, r: r}
}

type redactedError struct {
	err error
	r   *redactor
}

func (e *redactedError) Error() string { return e.r.string(e.err.Error()) }
func (e *redactedError) Unwrap() error { return e.err }

var userinfoRE = regexp.MustCompile(`://[^/@]*@`)

// redactURL hides the user information of a URL that did not parse.
func redactURL(raw string) string {
	return userinfoRE.ReplaceAllString(raw, "://"+redacted+"@")
}
