// Peer for bench/tokenizer/run.sh: tiktoken (Rust core compiled to WASM, npm
// package "tiktoken") given the ranks of a Llama 3 tokenizer.json, the Llama 3
// pattern and its special tokens, timing encode_ordinary on a text file.
// Usage: node peer.js TIKTOKEN_PACKAGE_DIR TOKENIZER_JSON TEXT_FILE [ITERATIONS]
"use strict";
const fs = require("fs");
const llamaTiktoken = require("./llama-tiktoken.js");

const [pkgDir, tokFile, textFile, itersArg] = process.argv.slice(2);
const enc = llamaTiktoken(pkgDir, tokFile);
const text = fs.readFileSync(textFile, "utf8");
const iters = Number(itersArg || 10);

const bytes = Buffer.byteLength(text, "utf8");
let count = enc.encode_ordinary(text).length; // warm-up
const cpu0 = process.cpuUsage();
const start = process.hrtime.bigint();
for (let i = 0; i < iters; i++) count = enc.encode_ordinary(text).length;
const secs = Number(process.hrtime.bigint() - start) / 1e9;
const cpu = process.cpuUsage(cpu0);
const cpuSecs = (cpu.user + cpu.system) / 1e6;
const mbs = (s) => ((bytes * iters) / s / 1e6).toFixed(2);
console.log(`tiktoken-wasm bytes=${bytes} tokens=${count} iterations=${iters} MB/s=${mbs(secs)} cpu-MB/s=${mbs(cpuSecs)}`);
enc.free();
