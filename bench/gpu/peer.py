#!/usr/bin/env python3
"""PyTorch peer for bench/gpu/run.sh: Hugging Face transformers
LlamaForCausalLM built from the Llama-3.2-3B config (random weights, fp16,
sdpa attention), timed on the same workloads as `llsum dev bench`.

Prints one JSON object (and writes it with --out)."""
import argparse
import json
import sys
import time


def log(*a):
    print("peer:", *a, file=sys.stderr, flush=True)


def err_text(e):
    """One line naming the exception (OOM and the like are recorded, not fatal)."""
    return f"{type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''}"


def config(preset):
    import inspect
    from transformers import LlamaConfig
    common = dict(rms_norm_eps=1e-5, tie_word_embeddings=True, attn_implementation="sdpa")
    rope = {"rope_type": "default"}
    if preset == "3b":
        rope = {"rope_type": "llama3", "factor": 32.0, "low_freq_factor": 1.0,
                "high_freq_factor": 4.0, "original_max_position_embeddings": 8192}
    # transformers 5 takes rope_parameters (theta inside); 4.x rope_scaling + rope_theta
    if "rope_parameters" in inspect.signature(LlamaConfig.__init__).parameters:
        common["rope_parameters"] = dict(rope, rope_theta=500000.0)
    else:
        common["rope_theta"] = 500000.0
        if preset == "3b":
            common["rope_scaling"] = rope
    if preset == "3b":
        return LlamaConfig(vocab_size=128256, hidden_size=3072, intermediate_size=8192,
                           num_hidden_layers=28, num_attention_heads=24, num_key_value_heads=8,
                           head_dim=128, max_position_embeddings=131072,
                           bos_token_id=128000, eos_token_id=[128001, 128008, 128009], **common)
    if preset == "tiny":  # genmodel.Tiny()
        return LlamaConfig(vocab_size=512, hidden_size=64, intermediate_size=128, num_hidden_layers=2,
                           num_attention_heads=4, num_key_value_heads=2, head_dim=16,
                           max_position_embeddings=2048, bos_token_id=508, eos_token_id=[509, 510, 511], **common)
    raise SystemExit(f"peer: unknown preset {preset}")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--preset", default="3b")
    ap.add_argument("--device", default="cuda")
    ap.add_argument("--prefill", default="")
    ap.add_argument("--decode", default="")
    ap.add_argument("--decode-tokens", type=int, default=64)
    ap.add_argument("--workload", default="")
    ap.add_argument("--out", default="")
    a = ap.parse_args()

    import torch
    import transformers
    from transformers import LlamaForCausalLM

    dev = torch.device(a.device)
    dtype = torch.float16 if dev.type == "cuda" else torch.float32
    torch.manual_seed(1)
    t0 = time.time()
    cfg = config(a.preset)
    prev = torch.get_default_dtype()
    torch.set_default_dtype(dtype)
    with dev:
        model = LlamaForCausalLM(cfg)
    torch.set_default_dtype(prev)
    model.eval()
    res = {"torch": torch.__version__, "transformers": transformers.__version__, "dtype": str(dtype),
           "attn": getattr(model.config, "_attn_implementation", "?"), "device": str(dev),
           "open_seconds": time.time() - t0, "prefill": [], "decode": []}
    log(f"model ready in {res['open_seconds']:.1f}s attn={res['attn']} dtype={dtype}")
    def dump():
        if a.out:
            with open(a.out, "w") as f:
                f.write(json.dumps(res, indent=2) + "\n")

    g = torch.Generator(device="cpu").manual_seed(1)
    vocab = cfg.vocab_size

    def ids(b, n):
        return torch.randint(0, max(vocab - 256, 1), (b, n), generator=g).to(dev)

    def sync():
        if dev.type == "cuda":
            torch.cuda.synchronize()

    def gen(x, n, mask=None):
        if mask is None:
            mask = torch.ones_like(x)
        sync()
        t = time.perf_counter()
        out = model.generate(input_ids=x, attention_mask=mask, max_new_tokens=n, min_new_tokens=n,
                             do_sample=False, pad_token_id=0, use_cache=True)
        sync()
        return time.perf_counter() - t, out

    with torch.inference_mode():
        gen(ids(1, 64), 4)  # warm-up
        for n in [int(s) for s in a.prefill.split(",") if s]:
            row = {"tokens": n}
            try:
                x = ids(1, n)
                sync()
                t = time.perf_counter()
                model(input_ids=x, use_cache=True, logits_to_keep=1)
                sync()
                dt = time.perf_counter() - t
                row.update(ms=dt * 1000, tok_s=n / dt)
            except Exception as e:  # OOM etc.: record, go on
                row["error"] = err_text(e)
            if dev.type == "cuda":
                torch.cuda.empty_cache()
            log("prefill", row)
            res["prefill"].append(row)
            dump()
        for spec in [s for s in a.decode.split(",") if s]:
            b, c = (int(v) for v in spec.split("x"))
            row = {"batch": b, "context": c, "tokens": a.decode_tokens}
            try:
                x = ids(b, c)
                t1, _ = gen(x, 1)
                tn, out = gen(x, a.decode_tokens)
                assert out.shape[1] == c + a.decode_tokens, out.shape
                steps = a.decode_tokens - 1
                row.update(ms=(tn - t1) * 1000, tok_s=b * steps / (tn - t1), step_ms=(tn - t1) * 1000 / steps)
            except Exception as e:
                row["error"] = err_text(e)
            if dev.type == "cuda":
                torch.cuda.empty_cache()
            log("decode", row)
            res["decode"].append(row)
            dump()
        if a.workload:
            wl = json.load(open(a.workload))
            x2 = {"docs": wl["docs"], "requests": 0, "prompt_tokens": 0, "new_tokens": 0}
            if dev.type == "cuda":
                torch.cuda.reset_peak_memory_stats()
            t = time.perf_counter()
            try:
                for batch in wl["batches"]:
                    L = max(batch)
                    x = torch.zeros((len(batch), L), dtype=torch.long, device=dev)
                    m = torch.zeros_like(x)
                    for i, n in enumerate(batch):  # left padding, as generate wants
                        x[i, L - n:] = ids(1, n)[0]
                        m[i, L - n:] = 1
                    _, out = gen(x, wl["new_tokens"], m)
                    x2["requests"] += len(batch)
                    x2["prompt_tokens"] += sum(batch)
                    x2["new_tokens"] += (out.shape[1] - L) * len(batch)
            except Exception as e:
                x2["error"] = err_text(e)
            x2["seconds"] = time.perf_counter() - t
            if "error" not in x2:
                x2["docs_per_hour"] = x2["docs"] / x2["seconds"] * 3600
            if dev.type == "cuda":
                x2["torch_peak_bytes"] = torch.cuda.max_memory_reserved()
            log("workload", x2)
            res["e2e"] = x2
    dump()
    print(json.dumps(res, indent=2))


if __name__ == "__main__":
    main()
