package main

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/llsum/llsum/internal/testenv"
)

// schedulerEnv is the environment of one task: this process's, without any
// scheduler or LLSUM_ settings of its own, llsum first on PATH, plus extra.
func schedulerEnv(t *testing.T, extra ...string) []string {
	var env []string
	for _, kv := range os.Environ() {
		if k, _, _ := strings.Cut(kv, "="); strings.HasPrefix(k, "SLURM_") || strings.HasPrefix(k, "LLSUM_") || k == "JOB_COMPLETION_INDEX" || k == "PATH" {
			continue
		}
		env = append(env, kv)
	}
	env = append(env, "PATH="+filepath.Dir(llsumBin(t))+string(os.PathListSeparator)+os.Getenv("PATH"), "LLSUM_MODEL=", "LLSUM_NO_PROGRESS=1")
	return append(env, extra...)
}

// runTasks runs the shell command of each task at once (as a scheduler
// does) with the task's environment, and fails on any non-zero exit.
func runTasks(t *testing.T, shell, script string, envs [][]string) {
	var wg sync.WaitGroup
	for i, env := range envs {
		wg.Go(func() {
			cmd := exec.Command(shell, "-c", script)
			cmd.Env = env
			var out bytes.Buffer
			cmd.Stdout, cmd.Stderr = &out, &out
			if err := cmd.Run(); err != nil {
				t.Errorf("task %d (%v): %v\n%s", i, env[len(env)-4:], err, out.String())
			}
		})
	}
	wg.Wait()
}

// checkSharded merges the shards' indexes in out and compares the documents
// with an unsharded run over the same inputs.
func checkSharded(t *testing.T, out, docs string, shards int) {
	t.Helper()
	if r := runLLSum(t, ".", "index", "merge", out); r.code != 0 {
		t.Fatalf("index merge: exit %d\n%s", r.code, r.stderr)
	}
	whole := filepath.Join(t.TempDir(), "whole")
	if r := runLLSum(t, ".", "run", "--out", whole, docs); r.code != 0 {
		t.Fatalf("unsharded run: exit %d\n%s", r.code, r.stderr)
	}
	names := func(dir string) []string {
		var s []string
		for _, d := range readIndex(t, dir).Documents {
			s = append(s, d.Source+":"+d.Status)
		}
		sort.Strings(s)
		return s
	}
	got, want := names(out), names(whole)
	if fmt.Sprint(got) != fmt.Sprint(want) || len(want) == 0 {
		t.Errorf("merged shards hold %v, the unsharded run %v", got, want)
	}
	idx, _ := filepath.Glob(filepath.Join(out, "index-*-of-*.json"))
	if len(idx) != shards {
		t.Errorf("%d shard indexes, want %d: %v", len(idx), shards, idx)
	}
}

// TestSchedulerExamples runs the commands of docs/examples' Kubernetes
// Indexed Job manifest and Slurm batch script, with /data pointing at a
// temporary folder, once per task with the environment that scheduler sets,
// all tasks at once on one output folder; the merged index must hold every
// document exactly once.
func TestSchedulerExamples(t *testing.T) {
	root := testenv.ModuleRoot(t)
	prepare := func() string {
		data := filepath.Join(t.TempDir(), "data")
		copyTree(t, filepath.Join(root, "testdata", "docs"), filepath.Join(data, "docs"))
		return data
	}

	t.Run("kubernetes indexed job", func(t *testing.T) {
		raw, err := os.ReadFile(filepath.Join(root, "docs", "examples", "k8s-indexed-job.yaml"))
		if err != nil {
			t.Fatal(err)
		}
		y := string(raw)
		m := regexp.MustCompile(`(?m)^\s+completions: (\d+)$`).FindStringSubmatch(y)
		s := regexp.MustCompile(`(?m)- name: LLSUM_SHARDS\n\s+value: "(\d+)"`).FindStringSubmatch(y)
		a := regexp.MustCompile(`(?m)^\s+args:\n\s+- \|\n((?: {14,}\S.*\n)+)`).FindStringSubmatch(y)
		if m == nil || s == nil || a == nil {
			t.Fatalf("manifest lacks completions, LLSUM_SHARDS or the args script")
		}
		if m[1] != s[1] {
			t.Fatalf("completions %s but LLSUM_SHARDS %s", m[1], s[1])
		}
		n, _ := strconv.Atoi(m[1])
		data := prepare()
		script := strings.ReplaceAll(a[1], "/data/", data+"/")
		var envs [][]string
		for i := range n {
			envs = append(envs, schedulerEnv(t, "JOB_COMPLETION_INDEX="+strconv.Itoa(i), "LLSUM_SHARDS="+s[1], "JOB_NAME=llsum", "HOSTNAME=llsum-"+strconv.Itoa(i)))
		}
		runTasks(t, "/bin/sh", script, envs)
		checkSharded(t, filepath.Join(data, "summaries"), filepath.Join(data, "docs"), n)
	})

	t.Run("slurm array", func(t *testing.T) {
		raw, err := os.ReadFile(filepath.Join(root, "docs", "examples", "slurm-array.sh"))
		if err != nil {
			t.Fatal(err)
		}
		m := regexp.MustCompile(`(?m)^#SBATCH --array=(\d+)-(\d+)$`).FindStringSubmatch(string(raw))
		if m == nil {
			t.Fatal("script lacks #SBATCH --array=A-B")
		}
		lo, _ := strconv.Atoi(m[1])
		hi, _ := strconv.Atoi(m[2])
		data := prepare()
		script := strings.ReplaceAll(string(raw), "/data/", data+"/")
		var envs [][]string
		for id := lo; id <= hi; id++ {
			envs = append(envs, schedulerEnv(t, "SLURM_ARRAY_JOB_ID=4242", "SLURM_JOB_ID="+strconv.Itoa(4242+id),
				"SLURM_ARRAY_TASK_MIN="+m[1], "SLURM_ARRAY_TASK_MAX="+m[2], "SLURM_ARRAY_TASK_STEP=1",
				"SLURM_ARRAY_TASK_COUNT="+strconv.Itoa(hi-lo+1), "SLURM_ARRAY_TASK_ID="+strconv.Itoa(id)))
		}
		runTasks(t, "/bin/bash", script, envs)
		checkSharded(t, filepath.Join(data, "summaries"), filepath.Join(data, "docs"), hi-lo+1)
	})

	t.Run("no scheduler", func(t *testing.T) {
		cmd := exec.Command(llsumBin(t), "run", "--shard", "auto", "--out", filepath.Join(t.TempDir(), "out"), filepath.Join(root, "testdata", "docs"))
		cmd.Env = schedulerEnv(t)
		out, _ := cmd.CombinedOutput()
		if cmd.ProcessState.ExitCode() != exitUsage || !strings.Contains(string(out), "neither JOB_COMPLETION_INDEX") {
			t.Errorf("exit %d: %s", cmd.ProcessState.ExitCode(), out)
		}
		cmd = exec.Command(llsumBin(t), "run", "--shard", "auto", "--out", filepath.Join(t.TempDir(), "out"), filepath.Join(root, "testdata", "docs"))
		cmd.Env = schedulerEnv(t, "JOB_COMPLETION_INDEX=1")
		out, _ = cmd.CombinedOutput()
		if cmd.ProcessState.ExitCode() != exitUsage || !strings.Contains(string(out), "--shards N or LLSUM_SHARDS") {
			t.Errorf("index without count: exit %d: %s", cmd.ProcessState.ExitCode(), out)
		}
	})
}
