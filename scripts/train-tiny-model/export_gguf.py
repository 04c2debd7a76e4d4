#!/usr/bin/python3
"""Export a train.py checkpoint as a GGUF v3 file in the official BitNet b1.58 2B4T i2_s layout.

Keys (order and types as the official ggml-model-i2_s.gguf, spec §1.3), tensors token_embd F16,
output_norm F32, blk.N.{attn_norm, attn_q, attn_k, attn_v, attn_output, attn_sub_norm, ffn_norm,
ffn_gate, ffn_up, ffn_down, ffn_sub_norm}; projections as I2_S (36): n/4 packed bytes, 128-element
blocks -> 32 bytes (byte j: elements j, 32+j, 64+j, 96+j in bits 7..6, 5..4, 3..2, 1..0,
code = w + 1), then a 32-byte tail starting with the f32 scale. No output.weight (tied).

After writing, the file is re-read with our own reader and checked: every unpacked ternary tensor
and scale equals the checkpoint's quantized weight, F16/F32 tensors round-trip, sizes/offsets/
alignment are right. With --compare, the key/tensor structure is diffed against a reference file.
"""
import argparse
import json
import os
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import gguf_io as G  # noqa: E402

ARCH = "bitnet-b1.58"
CHAT_TEMPLATE = ("{% for m in messages %}{{ m['role'] | capitalize }}: {{ m['content'] }}{% endfor %}"
                 "BITNETAssistant: ")
PROJ = [("q", "attn_q"), ("k", "attn_k"), ("v", "attn_v"), ("o", "attn_output"),
        ("gate", "ffn_gate"), ("up", "ffn_up"), ("down", "ffn_down")]


def quantize_weight(w):
    """Same ops as model.BitLinear (f32): s = 1/max(mean|W|,1e-5); T = clamp(round(W*s),-1,1);
    the dequantized value used in training is T/s, so the I2_S scale is the f32 value 1/s
    (= max|W_q|, which is what llama-quantize stores)."""
    s = 1.0 / w.abs().mean().clamp(min=1e-5)
    t = (w * s).round().clamp(-1, 1)
    scale = (1.0 / s).float()
    return t.to(torch.int8), float(scale)


def build(ckpt, tok, name):
    cfg = ckpt["cfg"]
    sd = ckpt["model"]
    tokens, merges = tok["tokens"], tok["merges"]
    specials = set(tok["specials"])
    V = cfg["vocab"]
    assert len(tokens) == V
    w = G.GGUFWriter()
    A = ARCH
    w.add("general.architecture", G.T_STR, A)
    w.add("general.name", G.T_STR, name)
    w.add(A + ".vocab_size", G.T_U32, V)
    w.add(A + ".context_length", G.T_U32, cfg["ctx"])
    w.add(A + ".embedding_length", G.T_U32, cfg["n_embd"])
    w.add(A + ".block_count", G.T_U32, cfg["n_layer"])
    w.add(A + ".feed_forward_length", G.T_U32, cfg["n_ff"])
    w.add(A + ".rope.dimension_count", G.T_U32, cfg["head_dim"])
    w.add(A + ".attention.head_count", G.T_U32, cfg["n_head"])
    w.add(A + ".attention.head_count_kv", G.T_U32, cfg["n_head_kv"])
    w.add("tokenizer.ggml.add_bos_token", G.T_BOOL, True)
    w.add(A + ".attention.layer_norm_rms_epsilon", G.T_F32, cfg["eps"])
    w.add(A + ".rope.freq_base", G.T_F32, cfg["rope_base"])
    w.add("general.file_type", G.T_U32, 40)
    w.add("tokenizer.ggml.model", G.T_STR, "gpt2")
    w.add("tokenizer.ggml.tokens", G.T_ARR, tokens, G.T_STR)
    w.add("tokenizer.ggml.scores", G.T_ARR, [-1000.0 if t in specials else 0.0 for t in tokens], G.T_F32)
    w.add("tokenizer.ggml.token_type", G.T_ARR, [3 if t in specials else 1 for t in tokens], G.T_I32)
    w.add("tokenizer.ggml.merges", G.T_ARR, merges, G.T_STR)
    w.add("tokenizer.ggml.bos_token_id", G.T_U32, tokens.index("<|begin_of_text|>"))
    w.add("tokenizer.ggml.eos_token_id", G.T_U32, tokens.index("<|end_of_text|>"))
    w.add("tokenizer.ggml.padding_token_id", G.T_U32, tokens.index("<|end_of_text|>"))
    w.add("tokenizer.chat_template", G.T_STR, CHAT_TEMPLATE)
    w.add("general.quantization_version", G.T_U32, 2)

    expected = {}  # name -> (kind, payload) for verification

    def f32(name, t):
        a = t.detach().float().contiguous().numpy().astype("<f4")
        w.add_tensor(name, [a.shape[0]], G.GGML_F32, a.tobytes())
        expected[name] = ("f32", a)

    emb = sd["embd"].half().contiguous().numpy().astype("<f2")  # (vocab, n_embd) row-major
    w.add_tensor("token_embd.weight", [cfg["n_embd"], V], G.GGML_F16, emb.tobytes())
    expected["token_embd.weight"] = ("f16", emb)
    f32("output_norm.weight", sd["out_norm.weight"])
    for i in range(cfg["n_layer"]):
        p = "blocks.%d." % i
        b = "blk.%d." % i

        def proj(short):
            ggml = dict(PROJ)[short]
            W = sd[p + short + ".weight"]  # (out, in); ggml ne = (in, out), flat index m*in + k
            t, scale = quantize_weight(W)
            flat = t.reshape(-1).numpy()
            assert flat.size % 128 == 0
            w.add_tensor(b + ggml + ".weight", [W.shape[1], W.shape[0]], G.GGML_I2_S, G.pack_i2s(flat, scale))
            expected[b + ggml + ".weight"] = ("i2s", (flat.copy(), scale))

        f32(b + "attn_norm.weight", sd[p + "attn_norm.weight"])
        proj("q"); proj("k"); proj("v"); proj("o")
        f32(b + "attn_sub_norm.weight", sd[p + "attn_sub_norm.weight"])
        f32(b + "ffn_norm.weight", sd[p + "ffn_norm.weight"])
        proj("gate"); proj("up"); proj("down")
        f32(b + "ffn_sub_norm.weight", sd[p + "ffn_sub_norm.weight"])
    return w, expected


def verify(path, expected, cfg):
    g = G.GGUFFile(path)
    assert g.version == 3
    assert len(g.tensors) == len(expected) == 2 + 11 * cfg["n_layer"]
    # offsets: aligned, in order, no overlap, exact sizes
    prev_end = 0
    for name, ne, gt, off in g.tinfo:
        n = int(np.prod(ne))
        assert off % 32 == 0 and off >= prev_end, name
        prev_end = off + G.tensor_nbytes(gt, n)
    assert g.data_start + prev_end <= len(g.buf)
    n_tern = 0
    for name, (kind, want) in expected.items():
        ne, gt, data = g.tensors[name]
        n = int(np.prod(ne))
        if kind == "f32":
            assert gt == G.GGML_F32 and np.array_equal(np.frombuffer(data, "<f4"), want), name
        elif kind == "f16":
            assert gt == G.GGML_F16 and ne == [cfg["n_embd"], cfg["vocab"]]
            assert np.array_equal(np.frombuffer(data, "<f2").view(np.uint16), want.reshape(-1).view(np.uint16))
        else:
            assert gt == G.GGML_I2_S and len(data) == n // 4 + 32, name
            t, sc = G.unpack_i2s(data, n)
            flat, scale = want
            assert np.array_equal(t, flat), name
            assert np.float32(sc) == np.float32(scale), (name, sc, scale)
            n_tern += n
    print("verify OK: %d tensors, %d ternary weights unpacked and equal to the trained quantized weights"
          % (len(expected), n_tern))
    return g


def structure_lines(g, generic=True):
    """Structure for diffing: key names/types, tensor names/types/rank (values and sizes left out)."""
    out = []
    for k, vt, v, et in g.kv:
        t = G.TYPE_NAMES[vt] + ("[%s]" % G.TYPE_NAMES[et] if vt == G.T_ARR else "")
        out.append("kv %s %s" % (k, t))
    for name, ne, gt, off in g.tinfo:
        if generic and name.startswith("blk."):
            if not name.startswith("blk.0."):
                continue
        out.append("tensor %s %s rank%d" % (name, G.GGML_TYPE_NAMES.get(gt, gt), len(ne)))
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--ckpt", required=True)
    ap.add_argument("--tokenizer", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--name", default="bitnet-kjv")
    ap.add_argument("--compare", default="/work/shared/parity/pa.gguf")
    args = ap.parse_args()
    ckpt = torch.load(args.ckpt, map_location="cpu")
    with open(args.tokenizer) as f:
        tok = json.load(f)
    w, expected = build(ckpt, tok, args.name)
    w.write(args.out)
    print("wrote %s (%d bytes)" % (args.out, os.path.getsize(args.out)))
    g = verify(args.out, expected, ckpt["cfg"])
    if args.compare and os.path.exists(args.compare):
        ref = G.GGUFFile(args.compare)
        a, b = structure_lines(ref), structure_lines(g)
        import difflib
        d = [l for l in difflib.unified_diff(a, b, args.compare, args.out, lineterm="", n=0)]
        print("structure diff vs %s (key names/types in order, tensor names/types/rank; blk.0 only): %s"
              % (args.compare, "IDENTICAL" if not d else "\n" + "\n".join(d)))
        # also: every block has the same 11 tensors in the same order as the reference
        def per_block(gg):
            return [n.split(".", 2)[2] for n, *_ in gg.tinfo if n.startswith("blk.0.")]
        assert per_block(ref) == per_block(g)
        assert [(G.GGML_TYPE_NAMES[gt]) for n, ne, gt, o in ref.tinfo if n.startswith("blk.0.")] == \
               [(G.GGML_TYPE_NAMES[gt]) for n, ne, gt, o in g.tinfo if n.startswith("blk.0.")]


if __name__ == "__main__":
    main()
