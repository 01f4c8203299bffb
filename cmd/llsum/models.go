package main

import (
	"context"
	"encoding/json"
	"fmt"
	"text/tabwriter"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/llsum/llsum/internal/modelstore"
)

// modelsOptions are the flags of `llsum models`.
type modelsOptions struct {
	Available bool
	JSON      bool
}

// AddFlags registers models' flags.
func (o *modelsOptions) AddFlags(f *pflag.FlagSet) {
	f.BoolVar(&o.Available, "available", false, "list the built-in short names llsum pull knows instead")
	f.BoolVar(&o.JSON, "json", false, "print JSON instead of a table")
}

func newModelsCmd(g *globalOptions) *cobra.Command {
	var opts modelsOptions
	cmd := &cobra.Command{
		Use:   "models [--available] [--json]",
		Short: "List the models pulled into the llsum cache",
		Long: `List the model folders in $LLSUM_CACHE/models: the name to give --model,
the size on disk, when it was pulled (or "incomplete" for an interrupted
pull, which llsum pull NAME resumes, or "local" for a folder put there
another way) and the folder. With --available, list the built-in short
names llsum pull accepts, with the Hub repo and folder each stands for.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runModels(cmd.Context(), g, opts, args)
		},
	}
	opts.AddFlags(cmd.Flags())
	return cmd
}

// modelRow is one line of `llsum models` (also its JSON form).
type modelRow struct {
	Name   string `json:"name"`
	Size   int64  `json:"size,omitempty"`
	Status string `json:"status"`
	Dir    string `json:"dir,omitempty"`
	Repo   string `json:"repo,omitempty"`
	Folder string `json:"folder,omitempty"`
	About  string `json:"about,omitempty"`
}

// runModels is `llsum models`.
func runModels(_ context.Context, g *globalOptions, opts modelsOptions, _ []string) error {
	store := modelStore()
	models, err := store.List()
	if err != nil {
		return configError(fmt.Errorf("models: %w", err))
	}
	var rows []modelRow
	if opts.Available {
		pulled := map[string]bool{}
		for _, m := range models {
			pulled[m.Name] = m.Manifest != nil
		}
		for _, b := range modelstore.Builtins() {
			st := "-"
			if pulled[b.Name] {
				st = "pulled"
			}
			folder := b.Subfolder
			if b.Variant != "" {
				folder = "onnx/model_" + b.Variant + ".onnx"
			}
			rows = append(rows, modelRow{Name: b.Name, Status: st, Repo: b.Repo, Folder: folder, About: b.About})
		}
	} else {
		for _, m := range models {
			r := modelRow{Name: m.Name, Size: m.Size, Dir: m.Dir, Status: "local"}
			switch {
			case m.Incomplete:
				r.Status = "incomplete"
			case m.Manifest != nil:
				r.Status = "pulled " + m.Manifest.Pulled.Format("2006-01-02")
				r.Repo = m.Manifest.Repo
			}
			rows = append(rows, r)
		}
	}
	if opts.JSON {
		if rows == nil {
			rows = []modelRow{}
		}
		enc := json.NewEncoder(g.stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(rows)
	}
	if len(rows) == 0 {
		g.notice("no models in " + store.Dir + "; get one with llsum pull NAME (llsum models --available lists the names)")
		return nil
	}
	tw := tabwriter.NewWriter(g.stdout, 2, 8, 2, ' ', 0)
	if opts.Available {
		fmt.Fprintln(tw, "NAME\tSTATUS\tREPO\tFOLDER\tFOR")
		for _, r := range rows {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", r.Name, r.Status, r.Repo, r.Folder, r.About)
		}
	} else {
		fmt.Fprintln(tw, "NAME\tSIZE\tSTATUS\tFOLDER")
		for _, r := range rows {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", r.Name, humanBytes(r.Size), r.Status, r.Dir)
		}
	}
	return tw.Flush()
}
