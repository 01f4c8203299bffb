package pipeline

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// ErrNoSchedulerShard: --shard auto found no scheduler setting to take the
// shard from.
var ErrNoSchedulerShard = errors.New("no scheduler sets the shard: neither JOB_COMPLETION_INDEX (Kubernetes Indexed Job) nor SLURM_ARRAY_TASK_ID (Slurm job array) is set; give --shard I/N")

// ShardFromEnv is the shard a batch scheduler assigned to this process,
// read through getenv (os.Getenv):
//
//   - a Kubernetes Indexed Job sets JOB_COMPLETION_INDEX (0..completions-1)
//     but not the count, which count must give (--shards N or
//     LLSUM_SHARDS: the Job's completions);
//   - a Slurm job array sets SLURM_ARRAY_TASK_ID with
//     SLURM_ARRAY_TASK_MIN, SLURM_ARRAY_TASK_MAX, SLURM_ARRAY_TASK_STEP and
//     SLURM_ARRAY_TASK_COUNT: the shard is the task's position in the
//     array (an array 1-4 gives shards 0/4..3/4); count, when not 0,
//     must agree with the array.
//
// count is 0 when not given. Arrays that are not an evenly stepped range
// (--array=1,5,17) are refused: give --shard I/N yourself.
func ShardFromEnv(getenv func(string) string, count int) (Shard, error) {
	get := func(name string) (int, bool, error) {
		s := strings.TrimSpace(getenv(name))
		if s == "" {
			return 0, false, nil
		}
		v, err := strconv.Atoi(s)
		if err != nil || v < 0 {
			return 0, true, fmt.Errorf("%s=%q is not a non-negative integer", name, s)
		}
		return v, true, nil
	}
	if idx, ok, err := get("JOB_COMPLETION_INDEX"); err != nil {
		return Shard{}, err
	} else if ok {
		if count < 1 {
			return Shard{}, fmt.Errorf("JOB_COMPLETION_INDEX=%d is set (Kubernetes Indexed Job) but not the number of shards: give --shards N or LLSUM_SHARDS=N (the Job's completions)", idx)
		}
		if idx >= count {
			return Shard{}, fmt.Errorf("JOB_COMPLETION_INDEX=%d is not below the %d shards (--shards or LLSUM_SHARDS must equal the Job's completions)", idx, count)
		}
		return Shard{Index: idx, Count: count}, nil
	}
	id, ok, err := get("SLURM_ARRAY_TASK_ID")
	if err != nil {
		return Shard{}, err
	}
	if !ok {
		return Shard{}, ErrNoSchedulerShard
	}
	var vals [4]int
	var set [4]bool
	for i, name := range []string{"SLURM_ARRAY_TASK_MIN", "SLURM_ARRAY_TASK_MAX", "SLURM_ARRAY_TASK_STEP", "SLURM_ARRAY_TASK_COUNT"} {
		if vals[i], set[i], err = get(name); err != nil {
			return Shard{}, err
		}
	}
	lo, hi, step, n := vals[0], vals[1], vals[2], vals[3]
	if !set[2] || step < 1 {
		step = 1
	}
	switch {
	case set[0] && set[1]:
		if hi < lo || (hi-lo)%step != 0 {
			return Shard{}, fmt.Errorf("the Slurm array %d-%d:%d is not an evenly stepped range: give --shard I/N", lo, hi, step)
		}
		span := (hi-lo)/step + 1
		if set[3] && n != span {
			return Shard{}, fmt.Errorf("the Slurm array of %d tasks in %d-%d:%d is not an evenly stepped range (--array=1,5,17?): give --shard I/N", n, lo, hi, step)
		}
		n = span
	case set[3]:
		lo = 0 // a count without bounds: ids from 0
	case count > 0:
		n = count
	default:
		return Shard{}, fmt.Errorf("SLURM_ARRAY_TASK_ID=%d is set but not the array's size (SLURM_ARRAY_TASK_COUNT or MIN and MAX): give --shards N", id)
	}
	if id < lo || (id-lo)%step != 0 || (id-lo)/step >= n {
		return Shard{}, fmt.Errorf("SLURM_ARRAY_TASK_ID=%d is outside the array %d-%d:%d", id, lo, lo+(n-1)*step, step)
	}
	if count > 0 && count != n {
		return Shard{}, fmt.Errorf("--shards/LLSUM_SHARDS is %d but the Slurm array has %d tasks", count, n)
	}
	return Shard{Index: (id - lo) / step, Count: n}, nil
}
