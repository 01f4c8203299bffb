#!/usr/bin/env python3
"""Helpers for bench/gpu/run.sh: the synthetic workload, the environment
probe, the memory-bandwidth measurement and the final report."""
import json
import math
import os
import random
import sys

# Llama-3.2-3B shape (genmodel.Llama32_3B) and genmodel.Tiny().
SHAPES = {
    "3b": dict(layers=28, hidden=3072, heads=24, kv_heads=8, head=128, inter=8192, vocab=128256),
    "tiny": dict(layers=2, hidden=64, heads=4, kv_heads=2, head=16, inter=128, vocab=512),
}
# Datasheet HBM bandwidth, bytes/s, by the name nvidia-smi prints.
DATASHEET = {"H200": 4.8e12, "H100 80GB HBM3": 3.35e12, "H100 PCIe": 2.0e12, "H100 NVL": 3.9e12}


def workload(path, docs, new_tokens, preset, seed=1):
    """docs documents of 2-60 pages (400 tokens a page, 40 on the tiny
    preset); each is cut into map chunks of at most CHUNK tokens plus a
    150-token instruction; documents of several chunks get one reduce
    request over the chunk summaries. Requests are batched by 8, longest
    first, maps before reduces."""
    rng = random.Random(seed)
    page, chunk = (400, 8000) if preset == "3b" else (40, 800)
    maps, reduces, pages = [], [], []
    for _ in range(docs):
        p = rng.randint(2, 60)
        pages.append(p)
        toks = p * page
        n = math.ceil(toks / chunk)
        maps += [math.ceil(toks / n) + 150] * n
        if n > 1:
            reduces.append(n * new_tokens + 150)
    batches = []
    for stage in (sorted(maps, reverse=True), sorted(reduces, reverse=True)):
        batches += [stage[i:i + 8] for i in range(0, len(stage), 8)]
    w = {"docs": docs, "new_tokens": new_tokens, "pages": pages, "tokens_per_page": page,
         "chunk_tokens": chunk, "batch": 8, "batches": batches}
    with open(path, "w") as f:
        json.dump(w, f)
    print(f"workload: {docs} docs, {sum(pages)} pages, {len(maps)} map + {len(reduces)} reduce requests "
          f"in {len(batches)} batches", file=sys.stderr)


WORDS = ("model summary document page text token chunk window engine cache memory batch graph "
         "kernel device report section table figure result method value system data input output "
         "process result change release feature error fix update policy budget market sales growth").split()


def corpus(folder, docs, preset, seed=1):
    """The workload's documents as text files for an end-to-end `llsum run`:
    the same page counts (seed 1), about 850 characters a page on the 3b
    preset (~400 tokens with the generated tokenizer), pages separated by
    blank lines, sentences of generated words."""
    rng = random.Random(seed)
    wr = random.Random(seed + 1)
    chars = 850 if preset == "3b" else 85
    os.makedirs(folder, exist_ok=True)
    for i in range(docs):
        p = rng.randint(2, 60)
        pages = []
        for _ in range(p):
            page = []
            n = 0
            while n < chars:
                sent = " ".join(wr.choice(WORDS) for _ in range(wr.randint(6, 14))).capitalize() + "."
                page.append(sent)
                n += len(sent) + 1
            pages.append(" ".join(page))
        with open(os.path.join(folder, f"doc-{i:03d}.txt"), "w") as f:
            f.write("\n\n".join(pages) + "\n")
    print(f"corpus: {docs} text documents in {folder}", file=sys.stderr)


def bandwidth(path, device):
    """Device-to-device copy bandwidth (bytes read + written per second) and
    pinned host-to-device bandwidth, through PyTorch."""
    out = {}
    try:
        import torch
        if device == "cuda" and torch.cuda.is_available():
            n = 2 << 30
            a = torch.empty(n, dtype=torch.uint8, device="cuda")
            b = torch.empty_like(a)
            for _ in range(3):
                b.copy_(a)
            torch.cuda.synchronize()
            s, e = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
            s.record()
            for _ in range(10):
                b.copy_(a)
            e.record()
            torch.cuda.synchronize()
            out["d2d_bytes_per_s"] = 2 * n * 10 / (s.elapsed_time(e) / 1000)
            h = torch.empty(1 << 30, dtype=torch.uint8).pin_memory()
            d = torch.empty(1 << 30, dtype=torch.uint8, device="cuda")
            d.copy_(h)
            torch.cuda.synchronize()
            s.record()
            for _ in range(5):
                d.copy_(h, non_blocking=True)
            e.record()
            torch.cuda.synchronize()
            out["h2d_bytes_per_s"] = (1 << 30) * 5 / (s.elapsed_time(e) / 1000)
            out["gpu"] = torch.cuda.get_device_name(0)
            del a, b, h, d
    except Exception as ex:  # the report says what is missing
        out["error"] = f"{type(ex).__name__}: {ex}"
    with open(path, "w") as f:
        json.dump(out, f)
    print("bandwidth:", out, file=sys.stderr)


def weight_bytes(s, elem=2):
    L, H, K, D, I, V = s["layers"], s["hidden"], s["kv_heads"], s["head"], s["inter"], s["vocab"]
    per_layer = H * s["heads"] * D * 2 + 2 * H * K * D + 3 * H * I + 2 * H
    return (L * per_layer + V * H + H) * elem  # tied embedding read once, as lm_head


def kv_bytes_per_token(s, elem=2):
    return 2 * s["layers"] * s["kv_heads"] * s["head"] * elem


def load(p):
    try:
        with open(p) as f:
            return json.load(f)
    except Exception as ex:
        return {"error": f"{p}: {ex}"}


def fmt(v, nd=1):
    return "—" if v is None else (f"{v:,.{nd}f}" if isinstance(v, (int, float)) else str(v))


def ratio(a, b):
    return a / b if a and b else None


def report(d, preset, device, command):
    env, bw = load(f"{d}/env.json"), load(f"{d}/bandwidth.json")
    ll, lle, pe = load(f"{d}/llsum-micro.json"), load(f"{d}/llsum-e2e.json"), load(f"{d}/peer.json")
    sig = load(f"{d}/signal.json")
    gr = load(f"{d}/llsum-graph.json")
    mem = load(f"{d}/memory.json")
    s = SHAPES[preset]
    gpu = env.get("gpu_name", "cpu")
    ds = next((v for k, v in DATASHEET.items() if k in gpu), None)
    meas = bw.get("d2d_bytes_per_s")
    W, kvt = weight_bytes(s), kv_bytes_per_token(s)
    rows = []
    res = {"graph": gr, "env": env, "bandwidth": bw, "llsum": ll, "llsum_e2e": lle, "peer": pe, "signal": sig,
                     "memory": mem, "weight_bytes": W, "kv_bytes_per_token": kvt, "rows": rows}

    def peer_row(kind, **k):
        for r in pe.get(kind, []):
            if all(r.get(a) == b for a, b in k.items()):
                return r
        return {}

    for r in ll.get("prefill", []):
        p = peer_row("prefill", tokens=r["tokens"])
        rows.append({"row": f"prefill {r['tokens']} tokens (tok/s)", "llsum": r.get("tok_s"), "peer": p.get("tok_s"),
                     "ratio": ratio(r.get("tok_s"), p.get("tok_s")), "note": r.get("error", "") or p.get("error", "")})
    for r in ll.get("decode", []):
        p = peer_row("decode", batch=r["batch"], context=r["context"])
        ctx = r["context"] + r["tokens"] / 2
        note = r.get("error", "") or p.get("error", "")
        lim = {}
        for name, b in (("datasheet", ds), ("measured copy", meas)):
            if b:
                # batch rows share the weights; each row reads its own KV
                lim[name] = b / (W + r["batch"] * kvt * ctx) * r["batch"]
        g = next((x for x in gr.get("decode") or [] if x["batch"] == r["batch"] and x["context"] == r["context"]), {})
        row = {"row": f"decode batch {r['batch']} at {r['context']} (tok/s)", "llsum": r.get("tok_s"),
               "graph": g.get("tok_s"), "graph_step_ms": g.get("step_ms"),
               "peer": p.get("tok_s"), "ratio": ratio(r.get("tok_s"), p.get("tok_s")), "note": note,
               "step_ms": r.get("step_ms"), "peer_step_ms": p.get("step_ms"), "limit": lim,
               "kv_bytes": r["batch"] * kvt * ctx}
        if lim and r.get("tok_s"):
            row["of_limit"] = {k: r["tok_s"] / v for k, v in lim.items()}
        if lim and g.get("tok_s"):
            row["graph_of_limit"] = {k: g["tok_s"] / v for k, v in lim.items()}
        if bw.get("h2d_bytes_per_s"):
            # what a host-resident cache would add per step: the whole
            # cache to the GPU and back
            row["host_kv_copy_ms"] = 2 * row["kv_bytes"] / bw["h2d_bytes_per_s"] * 1000
        rows.append(row)
    le, p = lle.get("e2e", {}), pe.get("e2e", {})
    ge = (gr.get("e2e") or {})
    rows.append({"row": "workload documents/hour", "llsum": le.get("docs_per_hour"), "peer": p.get("docs_per_hour"),
                 "ratio": ratio(le.get("docs_per_hour"), p.get("docs_per_hour")),
                 "note": le.get("error", "") or p.get("error", ""), "graph": ge.get("docs_per_hour")})
    lr = load(f"{d}/llsum-run.json")
    if lr:
        res["llsum_run"] = lr
        rows.append({"row": "`llsum run` documents/hour (same documents as text files, model load included)",
                     "llsum": lr.get("docs_per_hour"), "peer": p.get("docs_per_hour"),
                     "ratio": ratio(lr.get("docs_per_hour"), p.get("docs_per_hour")),
                     "note": (f"{lr.get('ok')}/{lr.get('docs')} documents summarized" if lr.get("ok") != lr.get("docs") else "")
                     + ("" if lr.get("exit") == 0 else f" exit {lr.get('exit')}")})
        rows.append({"row": "`llsum run` GPU memory peak (MiB, nvidia-smi)", "llsum": lr.get("gpu_mib"),
                     "peer": mem.get("peer_mib"), "ratio": ratio(lr.get("gpu_mib"), mem.get("peer_mib")), "note": ""})
    lg = load(f"{d}/llsum-run-graph.json")
    if lg:
        res["llsum_run_graph"] = lg
        for r in rows:
            if r["row"].startswith("`llsum run` documents/hour"):
                r["graph"] = lg.get("docs_per_hour")
            elif r["row"].startswith("`llsum run` GPU memory"):
                r["graph"] = lg.get("gpu_mib")
    rows.append({"row": "workload GPU memory peak (MiB, nvidia-smi)", "llsum": mem.get("llsum_mib"),
                 "peer": mem.get("peer_mib"), "ratio": ratio(mem.get("llsum_mib"), mem.get("peer_mib")), "note": ""})
    pcie = {}
    try:  # nvidia-smi dmon -s t: columns time, gpu, rxpci, txpci (MB/s)
        vals = [l.split() for l in open(f"{d}/pcie-dmon.txt") if l.strip() and not l.startswith("#")]
        rx = [float(v[-2]) for v in vals if len(v) >= 4 and v[-1].replace(".", "").isdigit()]
        tx = [float(v[-1]) for v in vals if len(v) >= 4 and v[-1].replace(".", "").isdigit()]
        if rx:
            pcie = {"samples": len(rx), "max_rx_mb_s": max(rx), "max_tx_mb_s": max(tx),
                    "mean_rx_mb_s": sum(rx) / len(rx), "mean_tx_mb_s": sum(tx) / len(tx)}
    except Exception as ex:
        pcie = {"error": str(ex)}
    res["pcie"] = pcie
    with open(f"{d}/results.json", "w") as f:
        json.dump(res, f, indent=2)

    lines = ["| workload | llsum | llsum --cuda-graph | PyTorch peer | llsum/peer | graph/peer | note |",
             "|---|---:|---:|---:|---:|---:|---|"]
    for r in rows:
        lines.append(f"| {r['row']} | {fmt(r['llsum'])} | {fmt(r.get('graph'))} | {fmt(r['peer'])} | {fmt(r['ratio'], 2)} | "
                     f"{fmt(ratio(r.get('graph'), r['peer']), 2)} | {r['note'][:120]} |")
    lim_lines = ["| decode row | llsum ms/step | graph ms/step | peer ms/step | KV read/step (MB) | limit tok/s (datasheet / measured copy BW) | llsum ÷ limit | graph ÷ limit | host-KV copy would add (ms/step) |",
                 "|---|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for r in rows:
        if "limit" in r:
            lm = r["limit"]
            of = r.get("of_limit", {})
            go = r.get("graph_of_limit", {})
            lim_lines.append(f"| {r['row']} | {fmt(r.get('step_ms'), 2)} | {fmt(r.get('graph_step_ms'), 2)} | {fmt(r.get('peer_step_ms'), 2)} | "
                             f"{fmt(r['kv_bytes'] / 1e6, 0)} | {fmt(lm.get('datasheet'), 0)} / {fmt(lm.get('measured copy'), 0)} | "
                             f"{fmt(of.get('datasheet'), 2)} / {fmt(of.get('measured copy'), 2)} | "
                             f"{fmt(go.get('datasheet'), 2)} / {fmt(go.get('measured copy'), 2)} | {fmt(r.get('host_kv_copy_ms'), 1)} |")
    table = "\n".join(lines)
    md = [f"# GPU benchmark: llsum ONNX engine vs Hugging Face transformers", "",
          f"Device: **{gpu}** ({device}); preset {preset}; llsum KV cache in **{ll.get('kv_memory', '?')}** memory; "
          f"ORT {ll.get('runtime', '?')}, prefill chunk {ll.get('prefill_chunk', '?')}; "
          f"peer: torch {pe.get('torch', '?')}, transformers {pe.get('transformers', '?')}, {pe.get('dtype', '?')}, attn {pe.get('attn', '?')}.",
          "", f"Command: `{command}`", "", table, "",
          f"Weights read per decode step: {W / 1e9:.2f} GB; KV cache {kvt // 1024} KiB per token of context. "
          f"Measured device copy bandwidth: {fmt((meas or 0) / 1e12, 2)} TB/s (read+write); datasheet {fmt((ds or 0) / 1e12, 2)} TB/s; "
          f"pinned host→device: {fmt((bw.get('h2d_bytes_per_s') or 0) / 1e9, 1)} GB/s.", "", "\n".join(lim_lines), "",
          f"PCIe traffic during the llsum prefill/decode run (nvidia-smi dmon, MB/s): {json.dumps(pcie)}", "",
          f"Peer status: {pe.get('error', 'ok')}", "",
          f"Signal check (SIGINT to a running llsum after the CUDA provider loaded): {json.dumps(sig)}", ""]
    with open(f"{d}/RESULTS.md", "w") as f:
        f.write("\n".join(md))
    print(table)
    print()
    print("\n".join(lim_lines))
    print("pcie:", json.dumps(pcie))
    print("signal:", json.dumps(sig))


KERNEL_KINDS = (  # first match wins; nsys kernel names, lower-cased
    ("argmax (device greedy)", ("argmax", "argmin", "reduce_index", "cudnn")),
    ("attention", ("flash", "groupqueryattention", "fmha", "attention", "mha", "xqa", "unfused")),
    ("matmul", ("gemm", "gemv", "cutlass", "xmma", "cublas", "matmul", "sm80_", "sm90_")),
    ("norm", ("layernorm", "rmsnorm", "skiplayernorm", "simplifiedlayernorm")),
    ("rotary", ("rotary",)),
    ("elementwise", ("elementwise", "_unary", "_binary", "cast", "where", "equal", "mul", "add", "silu", "sigmoid",
                     "concat", "transpose", "copy", "fill", "gather", "expand", "slice")),
)


def _csv_rows(path):
    import csv
    with open(path, newline="") as f:
        return list(csv.DictReader(l for l in f if l.strip() and not l.startswith("NOTICE")))


def _ns(row):
    return float(row.get("Total Time (ns)") or row.get("Total Time") or 0)


def stepsplit(short_csv, long_csv, steps, out, mem_short=None, mem_long=None):
    """Per-decode-step GPU time by kernel kind from two nsys
    cuda_gpu_kern_sum CSVs of the same run shape that differ only in the
    number of decode tokens (steps more in the long one): prefill, model
    load and warm-up cancel out. Optional cuda_gpu_mem_time_sum CSVs add
    the copies per step."""
    steps = int(steps)
    def by_name(p):
        d = {}
        for r in _csv_rows(p):
            d[r.get("Name") or r.get("Operation") or "?"] = (_ns(r), float(r.get("Instances") or r.get("Count") or 0))
        return d
    a, b = by_name(short_csv), by_name(long_csv)
    per = {}
    for name, (ns, n) in b.items():
        ns0, n0 = a.get(name, (0.0, 0.0))
        per[name] = ((ns - ns0) / steps / 1e6, (n - n0) / steps)
    kinds = {}
    for name, (ms, n) in per.items():
        low = name.lower()
        kind = next((k for k, keys in KERNEL_KINDS if any(x in low for x in keys)), "other")
        k = kinds.setdefault(kind, {"ms": 0.0, "launches": 0.0})
        k["ms"] += ms
        k["launches"] += n
    res = {"steps": steps, "gpu_ms_per_step": sum(v[0] for v in per.values()),
           "kernels_per_step": sum(v[1] for v in per.values()), "by_kind": kinds,
           "top": sorted(([n, round(ms, 4), round(c, 2)] for n, (ms, c) in per.items()), key=lambda x: -x[1])[:20]}
    if mem_short and mem_long:
        ma, mb = by_name(mem_short), by_name(mem_long)
        res["copies_per_step"] = {k: {"ms": (v[0] - ma.get(k, (0, 0))[0]) / steps / 1e6,
                                      "count": (v[1] - ma.get(k, (0, 0))[1]) / steps} for k, v in mb.items()}
    with open(out, "w") as f:
        json.dump(res, f, indent=1)
    print(f"step split: {res['gpu_ms_per_step']:.3f} ms of GPU time per step in {res['kernels_per_step']:.0f} kernels; "
          + ", ".join(f"{k} {v['ms']:.3f} ms ({v['launches']:.0f})" for k, v in sorted(kinds.items(), key=lambda x: -x[1]["ms"])))


if __name__ == "__main__":
    cmd = sys.argv[1]
    if cmd == "workload":
        workload(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), sys.argv[5])
    elif cmd == "corpus":
        corpus(sys.argv[2], int(sys.argv[3]), sys.argv[4])
    elif cmd == "bandwidth":
        bandwidth(sys.argv[2], sys.argv[3])
    elif cmd == "stepsplit":
        stepsplit(*sys.argv[2:])
    elif cmd == "report":
        report(sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5])
    else:
        raise SystemExit(f"tools.py: unknown command {cmd}")
