package main

import (
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
	"unicode"

	"github.com/llsum/llsum/internal/envconfig"
	"github.com/llsum/llsum/internal/testenv"
)

// userDocs is the user documentation: README.md, which holds what a user
// needs to install, run, schedule and configure llsum, and docs/*.md, which
// hold the internals the README links to.
type userDocs struct {
	files  map[string]string // path relative to the repository root → text
	readme string
	all    string // README.md and every docs/*.md, concatenated
}

func readUserDocs(t *testing.T) userDocs {
	t.Helper()
	root := testenv.ModuleRoot(t)
	names, err := filepath.Glob(filepath.Join(root, "docs", "*.md"))
	if err != nil {
		t.Fatal(err)
	}
	if len(names) == 0 {
		t.Fatal("no docs/*.md")
	}
	sort.Strings(names)
	d := userDocs{files: map[string]string{}}
	var all strings.Builder
	for _, name := range append([]string{filepath.Join(root, "README.md")}, names...) {
		b, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		rel, _ := filepath.Rel(root, name)
		d.files[filepath.ToSlash(rel)] = string(b)
		all.Write(b)
		all.WriteString("\n")
	}
	d.readme = d.files["README.md"]
	d.all = all.String()
	return d
}

// TestEnvDocumented: every LLSUM_* variable llsum reads is in the README's
// environment table.
func TestEnvDocumented(t *testing.T) {
	d := readUserDocs(t)
	for _, v := range envconfig.Vars {
		if !strings.Contains(d.readme, "`"+v.Name+"`") {
			t.Errorf("README.md does not document %s", v.Name)
		}
	}
}

// TestCIRunsREADMETestCommand: the command .ci/run runs is the one the
// README tells users to run the tests with.
func TestCIRunsREADMETestCommand(t *testing.T) {
	b, err := os.ReadFile(filepath.Join(testenv.ModuleRoot(t), ".ci", "run"))
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	last := strings.TrimSpace(lines[len(lines)-1])
	if !strings.Contains(readUserDocs(t).readme, last) {
		t.Errorf("README.md does not show the test command .ci/run runs: %q", last)
	}
}

var (
	mdLink    = regexp.MustCompile(`\]\(([^)\s]+)\)`)
	mdHeading = regexp.MustCompile(`(?m)^#{1,6} +(.+?) *$`)
	// commandStart matches a word after which a command starts: a pipe, a
	// YAML "run:", an environment assignment, a crontab time field.
	commandStart = regexp.MustCompile(`^(\||run:|[A-Z_][A-Z0-9_]*=.*|[0-9*/,-]+)$`)
)

// anchor is the fragment GitHub gives a heading: lower case, punctuation
// dropped, spaces turned into hyphens.
func anchor(heading string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(heading) {
		switch {
		case r == ' ':
			b.WriteRune('-')
		case r == '-' || r == '_' || unicode.IsLetter(r) || unicode.IsDigit(r):
			b.WriteRune(r)
		}
	}
	return b.String()
}

// TestDocLinks: every docs/*.md is linked from the README, and every
// relative link in the README and docs/ leads to a file that exists and,
// for a link into a Markdown file, to a heading that exists.
func TestDocLinks(t *testing.T) {
	d := readUserDocs(t)
	root := testenv.ModuleRoot(t)
	for name := range d.files {
		if strings.HasPrefix(name, "docs/") && !strings.Contains(d.readme, "]("+name+")") {
			t.Errorf("README.md does not link %s", name)
		}
	}
	anchors := map[string]map[string]bool{}
	for name, text := range d.files {
		anchors[name] = map[string]bool{}
		for _, m := range mdHeading.FindAllStringSubmatch(text, -1) {
			anchors[name][anchor(m[1])] = true
		}
	}
	for name, text := range d.files {
		for _, m := range mdLink.FindAllStringSubmatch(text, -1) {
			link := m[1]
			if strings.Contains(link, "://") || strings.HasPrefix(link, "mailto:") {
				continue
			}
			file, frag, _ := strings.Cut(link, "#")
			target := name
			if file != "" {
				target = filepath.ToSlash(filepath.Clean(filepath.Join(filepath.Dir(name), file)))
				if _, err := os.Stat(filepath.Join(root, target)); err != nil {
					t.Errorf("%s: link %s: %v", name, link, err)
					continue
				}
			}
			if frag != "" {
				a, ok := anchors[target]
				if !ok {
					b, err := os.ReadFile(filepath.Join(root, target))
					if err != nil {
						t.Errorf("%s: link %s: %v", name, link, err)
						continue
					}
					a = map[string]bool{}
					for _, m := range mdHeading.FindAllStringSubmatch(string(b), -1) {
						a[anchor(m[1])] = true
					}
				}
				if !a[frag] {
					t.Errorf("%s: link %s: %s has no heading #%s", name, link, target, frag)
				}
			}
		}
	}
}

// exampleCommands returns the llsum command lines in the shell examples of a
// Markdown text: fenced code blocks and indented blocks, with continuation
// lines joined. Each is returned as the words after "llsum", up to a pipe,
// a redirection or a comment; shell variables are replaced by 0.
func exampleCommands(text string) [][]string {
	var cmds [][]string
	inFence := false
	var lines []string
	for _, line := range strings.Split(text, "\n") {
		if strings.HasPrefix(strings.TrimSpace(line), "```") {
			inFence = !inFence
			continue
		}
		if inFence || strings.HasPrefix(line, "    ") {
			lines = append(lines, line)
		}
	}
	joined := strings.ReplaceAll(strings.Join(lines, "\n"), "\\\n", " ")
	shellVar := regexp.MustCompile(`\$\{\{[^}]*\}\}|\$\{?[A-Za-z_][A-Za-z0-9_]*\}?`)
	for _, line := range strings.Split(joined, "\n") {
		words := shellWords(shellVar.ReplaceAllString(line, "0"))
		for i, w := range words {
			if strings.HasPrefix(w, "#") {
				words = words[:i]
				break
			}
		}
		for i, w := range words {
			if w != "llsum" && !strings.HasSuffix(w, "/llsum") {
				continue
			}
			if i > 0 && !commandStart.MatchString(words[i-1]) {
				continue // "llsum" inside a message, not a command
			}
			var args []string
			for _, a := range words[i+1:] {
				if a == "|" || strings.HasPrefix(a, "<") || strings.HasPrefix(a, ">") || strings.HasPrefix(a, "2>") {
					break
				}
				args = append(args, a)
			}
			cmds = append(cmds, args)
			break
		}
	}
	return cmds
}

// shellWords splits a command line into words, honouring single and double
// quotes (enough for the README's examples; no expansions).
func shellWords(line string) []string {
	var words []string
	var cur strings.Builder
	inWord := false
	var quote rune
	for _, r := range line {
		switch {
		case quote != 0 && r == quote:
			quote = 0
		case quote != 0:
			cur.WriteRune(r)
		case r == '\'' || r == '"':
			quote, inWord = r, true
		case r == ' ' || r == '\t':
			if inWord {
				words = append(words, cur.String())
				cur.Reset()
				inWord = false
			}
		default:
			cur.WriteRune(r)
			inWord = true
		}
	}
	if inWord {
		words = append(words, cur.String())
	}
	return words
}

// TestDocExamplesParse: every llsum command line in the shell examples of
// the README and docs/ names a command that exists and flags that parse.
func TestDocExamplesParse(t *testing.T) {
	d := readUserDocs(t)
	n := 0
	for name, text := range d.files {
		for _, args := range exampleCommands(text) {
			n++
			var out bytes.Buffer
			root := newRootCmd(nil, &out, &out)
			c, rest, err := root.Find(args)
			if err != nil {
				first, _, _ := strings.Cut(err.Error(), "\n")
				t.Errorf("%s: llsum %s: %s", name, strings.Join(args, " "), first)
				continue
			}
			if err := c.ParseFlags(rest); err != nil {
				t.Errorf("%s: llsum %s: %v", name, strings.Join(args, " "), err)
			}
		}
	}
	if n < 20 {
		t.Errorf("found only %d example command lines; the extraction is broken", n)
	}
}
