package pipeline

import (
	"errors"
	"strings"
	"testing"
)

func TestShardFromEnv(t *testing.T) {
	for _, tt := range []struct {
		name    string
		env     map[string]string
		count   int
		want    Shard
		wantErr string
	}{
		{"kubernetes", map[string]string{"JOB_COMPLETION_INDEX": "2"}, 4, Shard{2, 4}, ""},
		{"kubernetes without count", map[string]string{"JOB_COMPLETION_INDEX": "2"}, 0, Shard{}, "--shards N or LLSUM_SHARDS"},
		{"kubernetes index too big", map[string]string{"JOB_COMPLETION_INDEX": "4"}, 4, Shard{}, "not below the 4 shards"},
		{"kubernetes bad index", map[string]string{"JOB_COMPLETION_INDEX": "x"}, 4, Shard{}, `JOB_COMPLETION_INDEX="x"`},
		{"kubernetes wins over slurm", map[string]string{"JOB_COMPLETION_INDEX": "1", "SLURM_ARRAY_TASK_ID": "3"}, 2, Shard{1, 2}, ""},
		{"slurm 0-3", map[string]string{"SLURM_ARRAY_TASK_ID": "3", "SLURM_ARRAY_TASK_MIN": "0", "SLURM_ARRAY_TASK_MAX": "3", "SLURM_ARRAY_TASK_COUNT": "4"}, 0, Shard{3, 4}, ""},
		{"slurm 1-4", map[string]string{"SLURM_ARRAY_TASK_ID": "1", "SLURM_ARRAY_TASK_MIN": "1", "SLURM_ARRAY_TASK_MAX": "4", "SLURM_ARRAY_TASK_COUNT": "4"}, 0, Shard{0, 4}, ""},
		{"slurm stepped 0-10:5", map[string]string{"SLURM_ARRAY_TASK_ID": "5", "SLURM_ARRAY_TASK_MIN": "0", "SLURM_ARRAY_TASK_MAX": "10", "SLURM_ARRAY_TASK_STEP": "5", "SLURM_ARRAY_TASK_COUNT": "3"}, 0, Shard{1, 3}, ""},
		{"slurm list", map[string]string{"SLURM_ARRAY_TASK_ID": "5", "SLURM_ARRAY_TASK_MIN": "1", "SLURM_ARRAY_TASK_MAX": "17", "SLURM_ARRAY_TASK_COUNT": "3"}, 0, Shard{}, "not an evenly stepped range"},
		{"slurm count only", map[string]string{"SLURM_ARRAY_TASK_ID": "2", "SLURM_ARRAY_TASK_COUNT": "3"}, 0, Shard{2, 3}, ""},
		{"slurm id and --shards", map[string]string{"SLURM_ARRAY_TASK_ID": "2"}, 3, Shard{2, 3}, ""},
		{"slurm id alone", map[string]string{"SLURM_ARRAY_TASK_ID": "2"}, 0, Shard{}, "not the array's size"},
		{"slurm count disagrees", map[string]string{"SLURM_ARRAY_TASK_ID": "0", "SLURM_ARRAY_TASK_MIN": "0", "SLURM_ARRAY_TASK_MAX": "3"}, 2, Shard{}, "Slurm array has 4 tasks"},
		{"slurm id outside", map[string]string{"SLURM_ARRAY_TASK_ID": "9", "SLURM_ARRAY_TASK_MIN": "0", "SLURM_ARRAY_TASK_MAX": "3"}, 0, Shard{}, "outside the array 0-3:1"},
		{"nothing", map[string]string{"SLURM_JOB_ID": "7"}, 3, Shard{}, "neither JOB_COMPLETION_INDEX"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ShardFromEnv(func(k string) string { return tt.env[k] }, tt.count)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error %v, want one with %q", err, tt.wantErr)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("got %v, %v; want %v", got, err, tt.want)
			}
		})
	}
	if _, err := ShardFromEnv(func(string) string { return "" }, 0); !errors.Is(err, ErrNoSchedulerShard) {
		t.Errorf("no environment: %v", err)
	}
}
