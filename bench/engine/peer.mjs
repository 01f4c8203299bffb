// Peer for bench/engine: transformers.js (@huggingface/transformers) on the
// same optimum-layout model folder, greedy, EOS disabled, same input ids.
// Usage: node peer.mjs MODEL_DIR, then one line per measurement on stdin:
// "CONTEXT BATCH DECODE". For each it runs generate() for DECODE+1 new
// tokens and prints one JSON line: prefill_s (from the call to the first new
// token) and decode_s (from the first to the last new token: DECODE tokens
// per sequence), timed through generate()'s streamer hook, which it calls
// with the prompt and then once per step.
import path from 'node:path';
import fs from 'node:fs';
import readline from 'node:readline';
import { AutoModelForCausalLM, env, Tensor } from '@huggingface/transformers';

const dir = path.resolve(process.argv[2]);
env.allowRemoteModels = false;
env.localModelPath = path.dirname(dir) + path.sep;
const cfg = JSON.parse(fs.readFileSync(path.join(dir, 'config.json'), 'utf8'));
const dtype = (cfg['transformers.js_config'] && cfg['transformers.js_config'].dtype) || 'fp32';
const model = await AutoModelForCausalLM.from_pretrained(path.basename(dir), { dtype, device: 'cpu' });
const vocab = cfg.vocab_size;

// Same ids as the Go side: id(i) = 10 + (i*7919 + row*104729) % (vocab-20).
function ids(batch, len) {
  const a = new BigInt64Array(batch * len);
  for (let r = 0; r < batch; r++) for (let i = 0; i < len; i++) a[r * len + i] = BigInt(10 + ((i * 7919 + r * 104729) % (vocab - 20)));
  return a;
}
async function timed(inputIds, mask, n) {
  const stamps = [];
  const streamer = { put() { stamps.push(performance.now()); }, end() {} };
  const t = performance.now();
  await model.generate({ input_ids: inputIds, attention_mask: mask, max_new_tokens: n, min_new_tokens: n, do_sample: false, eos_token_id: -1, streamer });
  // stamps[0]: prompt; stamps[1]: first new token; stamps[n]: last.
  return { prefill_s: (stamps[1] - t) / 1000, decode_s: (stamps[n] - stamps[1]) / 1000 };
}
console.log(JSON.stringify({ ready: true }));
for await (const line of readline.createInterface({ input: process.stdin })) {
  const [ctx, batch, decode] = line.trim().split(/\s+/).map(Number);
  if (!ctx) continue;
  const inputIds = new Tensor('int64', ids(batch, ctx), [batch, ctx]);
  const mask = new Tensor('int64', new BigInt64Array(batch * ctx).fill(1n), [batch, ctx]);
  console.log(JSON.stringify(await timed(inputIds, mask, decode + 1)));
}
