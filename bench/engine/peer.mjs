// Peer for bench/engine: transformers.js (@huggingface/transformers) on the
// same optimum-layout model folder, greedy, EOS disabled, same input ids.
// Usage: node peer.mjs MODEL_DIR, then one line per measurement on stdin:
// "CONTEXT BATCH DECODE". For each it prints one JSON line: prefill_s (the
// time of generate() with one new token) and decode_s (generate() with
// DECODE+1 new tokens, minus prefill_s: DECODE tokens per sequence).
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
  const t = performance.now();
  await model.generate({ input_ids: inputIds, attention_mask: mask, max_new_tokens: n, min_new_tokens: n, do_sample: false, eos_token_id: -1 });
  return (performance.now() - t) / 1000;
}
console.log(JSON.stringify({ ready: true }));
for await (const line of readline.createInterface({ input: process.stdin })) {
  const [ctx, batch, decode] = line.trim().split(/\s+/).map(Number);
  if (!ctx) continue;
  const inputIds = new Tensor('int64', ids(batch, ctx), [batch, ctx]);
  const mask = new Tensor('int64', new BigInt64Array(batch * ctx).fill(1n), [batch, ctx]);
  const p = await timed(inputIds, mask, 1);
  const all = await timed(inputIds, mask, decode + 1);
  console.log(JSON.stringify({ prefill_s: p, decode_s: all - p }));
}
