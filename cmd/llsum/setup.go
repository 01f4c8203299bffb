package main

import (
	"context"
	"errors"
	"fmt"
	"os/exec"
	"path/filepath"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/llsum/llsum/internal/envconfig"
	"github.com/llsum/llsum/internal/ortsetup"
)

// setupOptions are the flags of `llsum setup`.
type setupOptions struct {
	GPU         bool
	Source      string
	NPMRegistry string
	ReleaseURL  string
	SHA256      string
}

// AddFlags registers setup's flags.
func (o *setupOptions) AddFlags(f *pflag.FlagSet) {
	f.BoolVar(&o.GPU, "gpu", false, "also install the CUDA 13 provider libraries (needs CUDA 13 and cuDNN 9)")
	choiceFlag(f, &o.Source, "source", "", []string{ortsetup.SourceNPM, ortsetup.SourceRelease}, nil, "where the library comes from: pinned files from npm packages, or Microsoft's release tarball (default npm, or release when there is neither an npm client nor a registry URL)")
	f.StringVar(&o.NPMRegistry, "npm-registry", "", "fetch npm tarballs over HTTP from this registry URL instead of running npm pack (default NPM_CONFIG_REGISTRY)")
	f.StringVar(&o.ReleaseURL, "release-url", "", "release tarball URL for --source release (default: the official one for this platform)")
	f.StringVar(&o.SHA256, "sha256", "", "expected SHA-256 of the release tarball (--source release)")
}

func newSetupCmd(g *globalOptions) *cobra.Command {
	var opts setupOptions
	cmd := &cobra.Command{
		Use:   "setup [--gpu] [--source npm|release]",
		Short: "Install the ONNX Runtime library llsum needs for local models",
		Long: `Install ONNX Runtime ` + ortsetup.Version + ` (libonnxruntime.so.1) into
$LLSUM_CACHE/onnxruntime/` + ortsetup.Version + `/, where llsum finds it without flags, and
with --gpu the CUDA 13 provider libraries beside it.

--source npm (the default) takes the files out of the npm packages
onnxruntime-node@1.29.0 and, for --gpu,
com.github.asus4.onnxruntime.linux-x64-gpu@0.4.9, fetched with the npm
client (npm pack; no Node runtime needed) or over HTTP from --npm-registry /
NPM_CONFIG_REGISTRY, and checks every file against a pinned size and
SHA-256 before installing it. --source release downloads Microsoft's
release tarball instead and installs its lib/ folder (checked against
--sha256 when given, otherwise its SHA-256 is printed). Without --source,
npm is used when an npm client or a registry URL is there, release
otherwise.

Files already installed and verified are kept, so running it again is
quick. The library's path is printed on stdout; llsum doctor shows what
llsum loads.`,
		Example: `  llsum setup
  llsum setup --gpu
  llsum setup --source release --sha256 HEX`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runSetup(cmd.Context(), g, opts, args)
		},
	}
	opts.AddFlags(cmd.Flags())
	return cmd
}

// runSetup is `llsum setup`.
func runSetup(ctx context.Context, g *globalOptions, opts setupOptions, _ []string) error {
	o := ortsetup.Options{
		Dest:          filepath.Join(envconfig.CacheDir(), "onnxruntime", ortsetup.Version),
		GPU:           opts.GPU,
		Source:        opts.Source,
		NPMRegistry:   opts.NPMRegistry,
		ReleaseURL:    opts.ReleaseURL,
		ReleaseSHA256: opts.SHA256,
		Log:           g.notice,
	}
	if o.NPMRegistry == "" {
		o.NPMRegistry = envconfig.NPMRegistry()
	}
	switch o.Source {
	case ortsetup.SourceNPM, ortsetup.SourceRelease:
	case "":
		o.Source = ortsetup.SourceNPM
		if _, err := exec.LookPath("npm"); err != nil && o.NPMRegistry == "" {
			o.Source = ortsetup.SourceRelease
			g.notice("no npm client and no registry URL: installing from Microsoft's release tarball (its SHA-256 is printed; --source npm uses pinned files)")
		}
	default:
		return usagef("--source %q: want npm or release", o.Source)
	}
	bar := newByteBar(g, "downloading")
	o.Start = func(total int64) { bar.Start(total, 0) }
	o.Progress = bar.Add
	lib, err := ortsetup.Install(ctx, o)
	bar.Finish()
	if err != nil {
		err = fmt.Errorf("setup: %w", err)
		if errors.Is(err, ortsetup.ErrNoNPM) || errors.Is(err, ortsetup.ErrPlatform) {
			return configError(err)
		}
		return err
	}
	fmt.Fprintln(g.stdout, lib)
	return nil
}
