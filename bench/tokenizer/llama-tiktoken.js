// Builds a tiktoken encoder (Rust core in WASM, npm package "tiktoken") for a
// Llama 3 tokenizer.json: ranks from its vocab (byte-level strings turned
// back into bytes), its pre-tokenizer pattern and its added tokens.
"use strict";
const fs = require("fs");
const path = require("path");

module.exports = function llamaTiktoken(pkgDir, tokFile) {
  const { Tiktoken } = require(path.join(pkgDir, "tiktoken.cjs"));
  const tok = JSON.parse(fs.readFileSync(tokFile, "utf8"));
  // Invert GPT-2's bytes_to_unicode.
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
  return new Tiktoken(lines.join("\n"), specials, pattern);
};
