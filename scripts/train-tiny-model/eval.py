#!/usr/bin/python3
"""Perplexity of an exported BitNet b1.58 GGUF (I2_S) on a text file, computed from the GGUF alone
with the inference math of the spec (§3), in float32 PyTorch. Also: sampling + word-hit check.

PERPLEXITY PROTOCOL (what a runtime must do to reproduce the number):
  1. Read the text file as UTF-8, exactly as is (no stripping, no normalisation).
  2. Tokenize the whole file in one piece with the GGUF's byte-level BPE: LLaMA-3 pre-tokenizer regex
     (see bpe.py), GGUF merges by rank; special-token strings are not parsed; no BOS/EOS added here.
     -> ids[0..N-1]
  3. Split ids into consecutive, non-overlapping chunks of W = context_length - 1 = 255 tokens
     (chunk c = ids[c*W : (c+1)*W]; the last chunk may be shorter). No stride/overlap.
  4. For every chunk, start a fresh context (empty KV cache) and feed  BOS, chunk[0], ..., chunk[-2]
     (BOS = tokenizer.ggml.bos_token_id), positions 0,1,2,... The logits after the token at position
     p predict chunk[p]. So EVERY token of every chunk is scored, the first one conditioned on BOS only;
     BOS itself is never scored.
  5. NLL = -log softmax(logits)[target] (natural log), summed over all N scored tokens;
     loss = NLL / N; perplexity = exp(loss).

MODEL MATH (spec §3): h = f32(token_embd F16 row); per layer: RMSNorm(eps from GGUF, mean of squares
in double) -> BitLinear q/k/v (per-token int8: m = max(1e-5, max|x|) in double, s = f32(127/m),
q = round-half-even(x*s) clamped to [-128,127]; y = (f32(sum code-1 * q) / s) * I2_S scale),
NEOX RoPE (theta_0 = p, theta_{i+1} = theta_i * base^(-2/head_dim), cumulative f32 product),
causal GQA attention (scale 1/sqrt(head_dim), f32 softmax), attn_sub_norm, o_proj, residual;
ffn_norm -> gate/up -> relu(gate)^2 * up -> ffn_sub_norm -> down, residual; output_norm;
logits = h . token_embd (F16 values in f32). K/V, Q and P are kept in f32 here (bitnet.cpp rounds them
to f16: a tolerance-level difference).
"""
import argparse
import math
import os
import sys

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import gguf_io as G  # noqa: E402
import bpe  # noqa: E402


class GGUFModel:
    def __init__(self, path):
        g = G.GGUFFile(path)
        m = g.meta
        A = m["general.architecture"]
        assert A in ("bitnet-b1.58", "bitnet-25"), A
        self.n_embd = m[A + ".embedding_length"]
        self.n_layer = m[A + ".block_count"]
        self.n_ff = m[A + ".feed_forward_length"]
        self.n_head = m[A + ".attention.head_count"]
        self.n_head_kv = m[A + ".attention.head_count_kv"]
        self.ctx = m[A + ".context_length"]
        self.eps = float(np.float32(m[A + ".attention.layer_norm_rms_epsilon"]))
        self.base = m[A + ".rope.freq_base"]
        self.hd = self.n_embd // self.n_head
        self.bos = m["tokenizer.ggml.bos_token_id"]
        self.tok = bpe.Tokenizer(m["tokenizer.ggml.tokens"], m["tokenizer.ggml.merges"],
                                 m["tokenizer.ggml.token_type"])
        self.t = {}
        for name, (ne, gt, data) in g.tensors.items():
            n = int(np.prod(ne))
            if gt == G.GGML_F32:
                self.t[name] = torch.from_numpy(np.frombuffer(data, "<f4").copy())
            elif gt == G.GGML_F16:
                self.t[name] = torch.from_numpy(np.frombuffer(data, "<f2").astype(np.float32)).view(ne[1], ne[0])
            elif gt == G.GGML_I2_S:
                tern, scale = G.unpack_i2s(data, n)
                # (out, in) matrix of -1/0/+1 held as f64 so integer dot products are exact
                self.t[name] = (torch.from_numpy(tern.astype(np.float64)).view(ne[1], ne[0]), np.float32(scale))
            else:
                raise ValueError("unsupported tensor type %d for %s" % (gt, name))
        half = self.hd // 2
        ts = np.float32(np.float32(self.base) ** np.float32(-2.0 / self.hd))
        self.theta_scale = float(ts)

    def rope_tables(self, T):
        half = self.hd // 2
        th = np.zeros((T, half), np.float32)
        th[:, 0] = np.arange(T, dtype=np.float32)
        for i in range(1, half):
            th[:, i] = th[:, i - 1] * np.float32(self.theta_scale)
        th = torch.from_numpy(th)
        return th.cos(), th.sin()

    def rms(self, x, w):
        ms = ((x * x).double().sum(-1, keepdim=True) / x.shape[-1]).float()
        return (x * (1.0 / torch.sqrt(ms + self.eps))) * w

    def bitlinear(self, name, x):
        tern, scale = self.t[name]
        m = x.abs().amax(-1, keepdim=True).double().clamp(min=1e-5)
        s = (127.0 / m).float()
        q = torch.round(x * s).clamp(-128, 127)
        dot = (q.double() @ tern.t()).float()   # exact integer sum
        return (dot / s) * float(scale)

    @torch.no_grad()
    def forward(self, idx):
        """idx: LongTensor (B, T) -> logits (B, T, V) f32."""
        B, T = idx.shape
        emb = self.t["token_embd.weight"]
        h = F.embedding(idx, emb)
        cos, sin = self.rope_tables(T)
        half = self.hd // 2
        mask = torch.full((T, T), float("-inf")).triu(1)
        g = self.n_head // self.n_head_kv

        def rope(x):
            x1, x2 = x[..., :half], x[..., half:]
            return torch.cat([x1 * cos - x2 * sin, x1 * sin + x2 * cos], dim=-1)

        for l in range(self.n_layer):
            p = "blk.%d." % l
            a = self.rms(h, self.t[p + "attn_norm.weight"])
            q = self.bitlinear(p + "attn_q.weight", a).view(B, T, self.n_head, self.hd).transpose(1, 2)
            k = self.bitlinear(p + "attn_k.weight", a).view(B, T, self.n_head_kv, self.hd).transpose(1, 2)
            v = self.bitlinear(p + "attn_v.weight", a).view(B, T, self.n_head_kv, self.hd).transpose(1, 2)
            q, k = rope(q), rope(k)
            k = k.repeat_interleave(g, dim=1)
            v = v.repeat_interleave(g, dim=1)
            att = ((q @ k.transpose(-1, -2)) * (1.0 / math.sqrt(self.hd)) + mask).softmax(-1)
            o = (att @ v).transpose(1, 2).reshape(B, T, self.n_head * self.hd)
            o = self.rms(o, self.t[p + "attn_sub_norm.weight"])
            h = h + self.bitlinear(p + "attn_output.weight", o)
            f = self.rms(h, self.t[p + "ffn_norm.weight"])
            z = F.relu(self.bitlinear(p + "ffn_gate.weight", f)).square() * self.bitlinear(p + "ffn_up.weight", f)
            z = self.rms(z, self.t[p + "ffn_sub_norm.weight"])
            h = h + self.bitlinear(p + "ffn_down.weight", z)
        h = self.rms(h, self.t["output_norm.weight"])
        return h @ emb.t()


def perplexity(model, text, batch=16, max_chunks=0):
    ids = model.tok.encode(text)
    W = model.ctx - 1
    chunks = [ids[i:i + W] for i in range(0, len(ids), W)]
    if max_chunks:
        chunks = chunks[:max_chunks]
    nll, n = 0.0, 0
    full = [c for c in chunks if len(c) == W]
    rest = [c for c in chunks if len(c) != W]
    groups = [full[i:i + batch] for i in range(0, len(full), batch)] + [[c] for c in rest]
    for grp in groups:
        y = torch.tensor(grp, dtype=torch.long)
        x = torch.cat([torch.full((y.shape[0], 1), model.bos, dtype=torch.long), y[:, :-1]], dim=1)
        logits = model.forward(x)
        nll += F.cross_entropy(logits.reshape(-1, logits.shape[-1]).double(), y.reshape(-1), reduction="sum").item()
        n += y.numel()
    return nll, n, len(ids), len(chunks)


def generate(model, prompt, n_tokens, temp, seed):
    """BOS + prompt, then n_tokens sampled (temp 0 = greedy). Context is a sliding window: when it
    would exceed context_length, the input is BOS + the last context_length-1 tokens (recomputed)."""
    gen = torch.Generator().manual_seed(seed)
    ids = model.tok.encode(prompt)
    out = []
    for _ in range(n_tokens):
        seq = (ids + out)[-(model.ctx - 1):]
        logits = model.forward(torch.tensor([[model.bos] + seq]))[0, -1].double()
        if temp <= 0:
            nxt = int(torch.argmax(logits))
        else:
            probs = torch.softmax(logits / temp, -1)
            nxt = int(torch.multinomial(probs.float(), 1, generator=gen))
        out.append(nxt)
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("gguf")
    ap.add_argument("text", nargs="?", help="text file for perplexity")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--max-chunks", type=int, default=0, help="0 = all")
    ap.add_argument("--sample", type=int, default=0, help="generate this many tokens")
    ap.add_argument("--prompt", default="And it came to pass")
    ap.add_argument("--temp", type=float, default=0.8)
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--train-text", help="for the sample's word-hit fraction")
    ap.add_argument("--ckpt", help="also score the text with the PyTorch training model (train.py checkpoint, "
                                   "quantized forward) under the same protocol, for comparison")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    model = GGUFModel(args.gguf)
    if args.text:
        with open(args.text, encoding="utf-8") as f:
            text = f.read()
        nll, n, n_ids, n_chunks = perplexity(model, text, max_chunks=args.max_chunks)
        print("file %s: %d tokens, %d chunks of <= %d tokens (BOS + chunk), %d tokens scored"
              % (args.text, n_ids, n_chunks, model.ctx - 1, n))
        print("loss %.6f nats/token  perplexity %.4f" % (nll / n, math.exp(nll / n)))
        if args.ckpt:
            from model import BitNetLM
            ck = torch.load(args.ckpt, map_location="cpu")
            tm = BitNetLM(ck["cfg"])
            tm.load_state_dict(ck["model"])
            tm.eval()

            class Wrap:
                tok, ctx, bos = model.tok, model.ctx, model.bos

                @staticmethod
                @torch.no_grad()
                def forward(x):
                    return tm(x)
            nll2, n2, _, _ = perplexity(Wrap, text, max_chunks=args.max_chunks)
            print("torch checkpoint (training forward, quantized): loss %.6f perplexity %.4f (rel. ppl diff %.3f%%)"
                  % (nll2 / n2, math.exp(nll2 / n2), 100 * (math.exp(nll2 / n2) / math.exp(nll / n) - 1)))
    if args.sample:
        out = generate(model, args.prompt, args.sample, args.temp, args.seed)
        s = model.tok.decode(out)
        print("=== sample (prompt %r, %d tokens, temp %g, seed %d) ===" % (args.prompt, len(out), args.temp, args.seed))
        print(args.prompt + s)
        print("=== end sample ===")
        if args.train_text:
            with open(args.train_text, encoding="utf-8") as f:
                vocab = set(f.read().split())
            words = s.split()
            hit = sum(w in vocab for w in words)
            print("word-hit: %d / %d whitespace-separated generated words occur verbatim in the training text "
                  "(%.1f%%)" % (hit, len(words), 100.0 * hit / max(1, len(words))))
            miss = [w for w in words if w not in vocab]
            print("missing:", miss)


if __name__ == "__main__":
    main()
