#!/bin/bash
# llsum over one shared folder as a Slurm job array: 4 tasks, each
# summarizing its quarter of /data/docs into /data/summaries. Slurm sets
# SLURM_ARRAY_TASK_ID (and _MIN, _MAX, _COUNT) in each task; --shard auto
# turns them into shard 0/4..3/4 (any range works, e.g. --array=1-4).
# Submit, then merge the indexes once every task has finished:
#   jobid=$(sbatch --parsable docs/examples/slurm-array.sh)
#   sbatch --dependency=afterany:$jobid --wrap 'llsum index merge /data/summaries'
# (docs/cron.md#sharding; cmd/llsum's TestSchedulerExamples runs this script
# with the environment each task gets.)
#SBATCH --job-name=llsum
#SBATCH --array=0-3
#SBATCH --gres=gpu:1
#SBATCH --cpus-per-task=8
#SBATCH --time=04:00:00
#SBATCH --output=llsum-%A_%a.log
set -euo pipefail

exec llsum run --shard auto --log-format json --out /data/summaries /data/docs
