// Generates random strings from a mix of scripts, whitespace, digits,
// punctuation, contractions and special-token look-alikes, encodes each with
// tiktoken (Rust core in WASM: an independent implementation of the same
// BPE and pattern) and writes JSON lines {text, ids} for
// infer/tokenizer's TestCrossCheck. Used by crosscheck.sh.
// Usage: node crosscheck.js TIKTOKEN_PACKAGE_DIR TOKENIZER_JSON OUT N MAXATOMS
"use strict";
const fs = require("fs");
const llamaTiktoken = require("./llama-tiktoken.js");

const [pkgDir, tokFile, out, nArg, maxArg] = process.argv.slice(2);
const enc = llamaTiktoken(pkgDir, tokFile);

const atoms = ["a", "b", "e", "s", "t", "re", "ve", "ll", "d", "m", "S", "T", "RE", "LL", "D", "M", "'", "'", "\u2019",
  " ", " ", " ", "  ", "\n", "\n", "\r\n", "\r", "\t", "\u00a0", "\u3000", "\u2028", "\u0085", "\u000b", "\u000c",
  "\u001c", "\ufeff", "0", "1", "23", "456", "7890", "\u0663", "\u00bd", "\u216b", ".", ",", "!", "?", "(", ")", "{",
  "}", "-", "_", "/", "\\", "\"", "#", "@", "<|eot_id|>", "<|", "|>", "\u00e9", "\u00fc", "\u00df", "\u017f", "\u212a",
  "\u0130", "\u01c5", "\u65e5", "\u672c", "\u8a9e", "\u4e2d\u6587", "\ud55c\uad6d\uc5b4", "\u30ab\u30bf\u30ab\u30ca",
  "\u3072\u3089\u304c\u306a", "\u041f\u0440\u0438\u0432\u0435\u0442", "\u043c\u0438\u0440", "\u0645\u0631\u062d\u0628\u0627",
  "\u0928\u092e\u0938\u094d\u0924\u0947", "\u0301", "\u0308", "\u200d", "\ud83d\ude00", "\ud83d\udc4d\ud83c\udffd",
  "\ud83c\uddeb\ud83c\uddf7", "\ufb01", "\ufb02", "\u00ad", "\u200b", "x", "Hello", "world", "the", "The"];
const rnd = (k) => Math.floor(Math.random() * k);
const count = Number(nArg || 20000);
const maxAtoms = Number(maxArg || 40);
const outLines = [];
for (let i = 0; i < count; i++) {
  let s = "";
  const len = 1 + rnd(maxAtoms);
  for (let j = 0; j < len; j++) s += atoms[rnd(atoms.length)];
  outLines.push(JSON.stringify({ text: s, ids: Array.from(enc.encode_ordinary(s)) }));
}
fs.writeFileSync(out, outLines.join("\n") + "\n");
enc.free();
