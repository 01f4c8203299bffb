// llama.cpp (node-llama-cpp, CPU build) side of bench/cpu: one measurement
// per process, so that its peak RSS is this configuration's.
//
//   node llama.mjs MODEL.gguf CONTEXT BATCH DECODE THREADS [FLASH_ATTENTION]
//
// FLASH_ATTENTION 1 turns on llama.cpp's flash-attention path (node-llama-cpp
// leaves it off by default); it is what keeps llama.cpp's decode fast at 4K.
// Its lines then name the engine "llama.cpp-fa".
//
// Prints one JSON line: prefill and decode tokens/s and peak RSS (VmHWM).
// The prompts are those of the llsum side (main.go promptIDs); decoding is
// greedy, end-of-generation tokens ignored.
import fs from "node:fs";
import {getLlama} from "node-llama-cpp";

const [model, ctxArg, batchArg, decodeArg, threadsArg, faArg] = process.argv.slice(2);
const flashAttention = faArg === "1";
const C = Number(ctxArg), B = Number(batchArg), N = Number(decodeArg), T = Number(threadsArg);

function promptIDs(row, n, vocab) {
    const ids = new Array(n);
    for (let i = 0; i < n; i++) ids[i] = 10 + (i * 7919 + row * 104729) % (vocab - 20);
    return ids;
}

function peakRSSMB() {
    const m = /VmHWM:\s+(\d+) kB/.exec(fs.readFileSync("/proc/self/status", "utf8"));
    return m ? Number(m[1]) / 1024 : 0;
}

const llama = await getLlama({gpu: false, build: "never", maxThreads: T, logLevel: "error"});
const m = await llama.loadModel({modelPath: model, gpuLayers: 0});
const ctx = await m.createContext({contextSize: C + N + 8, sequences: B, threads: T, flashAttention});
const seqs = Array.from({length: B}, () => ctx.getSequence());
const vocab = 128000; // ordinary tokens only, as on the llsum side

// Warm-up (graph, buffers, threads), as main.go does.
{
    let n = 0;
    for await (const tok of seqs[0].evaluate(promptIDs(99, 16, vocab), {temperature: 0, yieldEogToken: true})) {
        void tok;
        if (++n >= 2) break;
    }
    await seqs[0].clearHistory();
}

// Prefill: all prompt tokens but the last; the last one is evaluated with
// the first sampled token, as llsum's prefill includes its first token.
const prompts = seqs.map((_, r) => promptIDs(r, C, vocab));
const t0 = performance.now();
await Promise.all(seqs.map((s, r) => s.evaluateWithoutGeneratingNewTokens(prompts[r].slice(0, C - 1))));
let firstDone = 0, lastDone = 0;
await Promise.all(seqs.map(async (s, r) => {
    let n = 0;
    for await (const tok of s.evaluate([prompts[r][C - 1]], {temperature: 0, yieldEogToken: true})) {
        void tok;
        n++;
        if (n === 1) firstDone = Math.max(firstDone, performance.now());
        if (n > N) break;
    }
    lastDone = Math.max(lastDone, performance.now());
}));
const prefill = (firstDone - t0) / 1000, decode = (lastDone - firstDone) / 1000;
console.log(JSON.stringify({engine: flashAttention ? "llama.cpp-fa" : "llama.cpp", context: C, batch: B, prefill_tok_s: B * C / prefill,
    decode_tok_s: B * N / decode, peak_rss_mb: peakRSSMB(), prefill_s: prefill, decode_s: decode}));
await ctx.dispose();
await m.dispose();
await llama.dispose();
