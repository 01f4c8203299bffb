package main

import (
	"bytes"
	"strings"
	"testing"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// TestEveryCommandDocumented: every subcommand has a short and a long help
// and examples or usage, root help lists it, README.md names it, and every
// flag of every subcommand has a usage text and is documented: in README.md
// itself, or for the developer commands under `llsum dev` in README.md or
// docs/*.md.
func TestEveryCommandDocumented(t *testing.T) {
	docs := readUserDocs(t)
	readme := docs.readme
	var out bytes.Buffer
	root := newRootCmd(nil, &out, &out)
	root.SetArgs([]string{"--help"})
	if err := root.Execute(); err != nil {
		t.Fatal(err)
	}
	rootHelp := out.String()
	var visit func(c *cobra.Command)
	visit = func(c *cobra.Command) {
		if c.Hidden || c.Name() == "help" || c.Name() == "completion" {
			return
		}
		path := c.CommandPath()
		if c.Short == "" {
			t.Errorf("%s: no short help", path)
		}
		if c.Parent() == root && !strings.Contains(rootHelp, c.Name()) {
			t.Errorf("llsum --help does not list %s", c.Name())
		}
		if c.Runnable() && c.Long == "" {
			t.Errorf("%s: no long help", path)
		}
		if c.Runnable() && !strings.Contains(readme, strings.TrimPrefix(path, "llsum ")) {
			t.Errorf("README.md never mentions %q", path)
		}
		c.LocalFlags().VisitAll(func(f *pflag.Flag) {
			if f.Hidden || f.Name == "help" {
				return
			}
			if strings.TrimSpace(f.Usage) == "" {
				t.Errorf("%s --%s: no usage text", path, f.Name)
			}
			if strings.HasPrefix(path, "llsum dev ") {
				if !strings.Contains(docs.all, "--"+f.Name) {
					t.Errorf("neither README.md nor docs/*.md documents %s --%s", path, f.Name)
				}
			} else if !strings.Contains(readme, "--"+f.Name) {
				t.Errorf("README.md does not document %s --%s", path, f.Name)
			}
		})
		for _, sub := range c.Commands() {
			visit(sub)
		}
	}
	for _, c := range root.Commands() {
		visit(c)
	}
}
