// Peer benchmark: transformers.js (@huggingface/transformers) on the same
// optimum-layout model folder, same input ids, greedy, EOS disabled.
// Usage: node peer.mjs MODEL_DIR CONTEXTS BATCHES DECODE REPEATS
// Prints one JSON line per (context, batch): prefill and decode tokens/s.
// Prefill time is generate() with one new token; decode tokens/s is
// batch*DECODE over the extra time of generate() with DECODE+1 new tokens.
import path from 'node:path';
import { AutoModelForCausalLM, env, Tensor } from '@huggingface/transformers';

const [dir, ctxArg, batchArg, decArg, repArg] = process.argv.slice(2);
const repeats = Number(repArg || 3);
env.allowRemoteModels = false;
env.localModelPath = path.dirname(path.resolve(dir)) + path.sep;
const cfg = JSON.parse(await import('node:fs').then(fs => fs.readFileSync(path.join(dir, 'config.json'), 'utf8')));
const dtype = (cfg['transformers.js_config'] && cfg['transformers.js_config'].dtype) || 'fp32';
const model = await AutoModelForCausalLM.from_pretrained(path.basename(path.resolve(dir)), { dtype, device: 'cpu' });
const vocab = cfg.vocab_size;
const decode = Number(decArg);

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
for (const ctx of ctxArg.split(',').map(Number)) {
  for (const batch of batchArg.split(',').map(Number)) {
    const inputIds = new Tensor('int64', ids(batch, ctx), [batch, ctx]);
    const mask = new Tensor('int64', new BigInt64Array(batch * ctx).fill(1n), [batch, ctx]);
    await timed(inputIds, mask, 1); // warm-up
    // Best of REPEATS for each measurement: the machine may be shared.
    let p = Infinity, all = Infinity;
    for (let k = 0; k < repeats; k++) {
      p = Math.min(p, await timed(inputIds, mask, 1));
      all = Math.min(all, await timed(inputIds, mask, decode + 1));
    }
    console.log(JSON.stringify({ engine: 'transformers.js', context: ctx, batch, prefill_tok_s: batch * ctx / p, decode_tok_s: batch * decode / Math.max(all - p, 1e-9) }));
  }
}
