// Peer for bench/tokenizer/run.sh: tiktoken (Rust core compiled to WASM, npm
// package "tiktoken") given the ranks of a Llama 3 tokenizer.json, the Llama 3
// pattern and its special tokens, timing encode_ordinary on a text file.
// Usage: node peer.js TIKTOKEN_PACKAGE_DIR TOKENIZER_JSON TEXT_FILE [ITERATIONS]
"use strict";
const fs = require("fs");
const path = require("path");

const [pkgDir, tokFile, textFile, itersArg] = process.argv.slice(2);
const { Tiktoken } = require(path.join(pkgDir, "tiktoken.cjs"));
const tok = JSON.parse(fs.readFileSync(tokFile, "utf8"));
const text = fs.readFileSync(textFile, "utf8");
const iters = Number(itersArg || 10);

// Invert GPT-2's bytes_to_unicode: byte-level token strings to raw bytes.
const dec = new Map();
let n = 0;
for (let b = 0; b < 256; b++) {
  const printable = (b >= 0x21 && b <= 0x7e) || (b >= 0xa1 && b <= 0xac) || (b >= 0xae && b <= 0xff);
  dec.set(printable ? b : 256 + n++, b);
}
const lines = [];
for (const [t, id] of Object.entries(tok.model.vocab)) {
  const bytes = Buffer.from(Array.from(t, (c) => dec.get(c.codePointAt(0))));
  lines.push(bytes.toString("base64") + " " + id);
}
const specials = {};
for (const a of tok.added_tokens) specials[a.content] = a.id;
const pattern = tok.pre_tokenizer.pretokenizers[0].pattern.Regex;
const enc = new Tiktoken(lines.join("\n"), specials, pattern);

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
