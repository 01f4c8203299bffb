#!/usr/bin/env bash
# Same greedy work with and without CUDA graphs: output digests must match.
H=$(cd "$(dirname "$0")" && pwd)
NV=$(python3 -c 'import glob,os,site; print(":".join(p for s in site.getsitepackages() for p in glob.glob(os.path.join(s,"nvidia","**","lib"),recursive=True)))')
export LD_LIBRARY_PATH=/tmp/llsum-gpu/lib:$NV:/usr/local/cuda/lib64
L=$H/../bin/llsum; M=/tmp/m3b
[ -f $M/genai_config.json ] || $L dev gen-model --preset 3b --dtype fp16 --out $M >&2
python3 $H/tools.py workload /tmp/wl.json 4 128 3b
for g in "" --cuda-graph; do
	$L dev bench --model $M --device cuda --ort-lib /tmp/llsum-gpu/lib/libonnxruntime.so.1 --prefill-chunk 2048 $g \
		--prefill "" --decode 1x1024,4x4096,16x4096 --decode-tokens 128 --workload /tmp/wl.json --out /tmp/chk$g.json 2>&1 | grep 'bench:'
	python3 -c "import json,sys;d=json.load(open(sys.argv[1]));print(sys.argv[2] or 'plain', d['cuda_graph'], [(r['batch'],r['context'],r['digest'],round(r['step_ms'],2)) for r in d['decode']], d['e2e']['digest'], round(d['e2e']['docs_per_hour']))" /tmp/chk$g.json "$g"
done
