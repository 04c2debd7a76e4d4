#!/usr/bin/python3
"""Train a tiny BitNet b1.58 (2B4T architecture, scaled down) on the KJV Bible.

Steps: build corpus from the `bible` program (Debian bible-kjv), split off a
held-out set (every 20th chapter), train an own byte-level BPE, train the model
with BitLinear (ternary weights + int8 activations, STE), save a checkpoint.
Export with export_gguf.py, evaluate with eval.py.
"""
import argparse
import json
import math
import os
import random
import subprocess
import sys
import time

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bpe  # noqa: E402
from model import BitNetLM  # noqa: E402


def load_kjv_chapters():
    """Whole KJV via `bible` (verse spec gen1:1-rev22:21, very long lines so one verse = one line).
    Returns a list of chapters, each "Book N\\n1 verse\\n2 verse\\n...\\n"."""
    raw = subprocess.run(["bible", "-l", "100000", "-m", "20000", "gen1:1-rev22:21"],
                         check=True, capture_output=True, text=True).stdout
    chapters = []
    cur = None
    for line in raw.split("\n"):
        if not line.strip():
            continue
        if line.startswith("  "):
            num, text = line.strip().split(" ", 1)
            assert num.isdigit(), line
            cur.append("%s %s" % (num, " ".join(text.split())))
        else:
            cur = [line.strip()]
            chapters.append(cur)
    return ["\n".join(c) + "\n" for c in chapters]


def split_corpus(chapters, every=20):
    """Held-out = chapters whose 0-based global index i satisfies i % every == every-1."""
    train = [c for i, c in enumerate(chapters) if i % every != every - 1]
    held = [c for i, c in enumerate(chapters) if i % every == every - 1]
    return "\n".join(train), "\n".join(held)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default="out")
    ap.add_argument("--seed", type=int, default=1234)
    ap.add_argument("--vocab", type=int, default=4096)
    ap.add_argument("--n-embd", type=int, default=256)
    ap.add_argument("--n-layer", type=int, default=4)
    ap.add_argument("--n-head", type=int, default=4)
    ap.add_argument("--n-head-kv", type=int, default=2)
    ap.add_argument("--n-ff", type=int, default=768)
    ap.add_argument("--ctx", type=int, default=256)
    ap.add_argument("--rope-base", type=float, default=500000.0)
    ap.add_argument("--batch", type=int, default=8)
    ap.add_argument("--lr", type=float, default=2e-3)
    ap.add_argument("--min-lr-frac", type=float, default=0.1)
    ap.add_argument("--wd", type=float, default=0.05)
    ap.add_argument("--warmup", type=int, default=100)
    ap.add_argument("--steps", type=int, default=0, help="total steps (step-based cosine); 0 = wall-clock schedule")
    ap.add_argument("--minutes", type=float, default=42.0, help="wall-clock budget (from start, incl. BPE) when --steps is 0")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--ckpt-every", type=int, default=50)
    ap.add_argument("--eval-every", type=int, default=100)
    args = ap.parse_args()

    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    random.seed(args.seed)
    os.makedirs(args.out, exist_ok=True)
    t_start = time.time()

    # ---------------- corpus
    chapters = load_kjv_chapters()
    train_text, held_text = split_corpus(chapters)
    with open(os.path.join(args.out, "kjv-train.txt"), "w") as f:
        f.write(train_text)
    with open(os.path.join(args.out, "kjv-heldout.txt"), "w") as f:
        f.write(held_text)
    print("chapters %d, train %d chars, held-out %d chars" % (len(chapters), len(train_text), len(held_text)), flush=True)

    # ---------------- tokenizer
    n_merges = args.vocab - 256 - len(bpe.SPECIALS)
    t0 = time.time()
    merges = bpe.train_bpe(train_text, n_merges)
    assert len(merges) == n_merges, len(merges)
    tok = bpe.Tokenizer.from_merges(merges)
    print("bpe trained in %.1fs, vocab %d" % (time.time() - t0, len(tok.tokens)), flush=True)
    with open(os.path.join(args.out, "tokenizer.json"), "w") as f:
        json.dump({"tokens": tok.tokens,
                   "merges": [a + " " + b for (a, b), _ in sorted(tok.ranks.items(), key=lambda kv: kv[1])],
                   "specials": bpe.SPECIALS}, f)
    bos = tok.tok_id["<|begin_of_text|>"]
    train_ids = torch.tensor(tok.encode(train_text), dtype=torch.long)
    held_ids = torch.tensor(tok.encode(held_text), dtype=torch.long)
    print("tokens: train %d, held-out %d (%.2f chars/token)" % (len(train_ids), len(held_ids),
          len(train_text) / len(train_ids)), flush=True)

    # ---------------- model
    cfg = dict(vocab=len(tok.tokens), n_embd=args.n_embd, n_layer=args.n_layer, n_head=args.n_head,
               n_head_kv=args.n_head_kv, head_dim=args.n_embd // args.n_head, n_ff=args.n_ff, ctx=args.ctx,
               eps=1e-5, rope_base=args.rope_base, bos=bos)
    assert cfg["n_embd"] % 128 == 0 and cfg["n_ff"] % 128 == 0
    model = BitNetLM(cfg)
    n_params = sum(p.numel() for p in model.parameters())
    print("cfg", cfg, "params", n_params, flush=True)
    decay = [p for n, p in model.named_parameters() if p.dim() == 2]
    no_decay = [p for n, p in model.named_parameters() if p.dim() < 2]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": args.wd},
                             {"params": no_decay, "weight_decay": 0.0}],
                            lr=args.lr, betas=(0.9, 0.95), eps=1e-8)
    L = args.ctx - 1  # tokens per window after BOS

    def batch(ids, bsz, gen):
        ix = torch.randint(0, len(ids) - L - 1, (bsz,), generator=gen)
        x = torch.stack([torch.cat([torch.tensor([bos]), ids[i:i + L]]) for i in ix.tolist()])
        y = torch.stack([ids[i:i + L + 1] for i in ix.tolist()])
        return x, y

    @torch.no_grad()
    def eval_held(n_windows=None):
        """Non-overlapping windows of L tokens, each fed as BOS + window; all L tokens scored."""
        model.eval()
        tot, cnt = 0.0, 0
        starts = list(range(0, len(held_ids), L))
        if n_windows:
            starts = starts[:n_windows]
        for j in range(0, len(starts), 16):
            ws = [held_ids[s:s + L] for s in starts[j:j + 16]]
            full = [w for w in ws if len(w) == L]
            rest = [w for w in ws if len(w) != L]
            groups = ([torch.stack(full)] if full else []) + [w.unsqueeze(0) for w in rest]
            for w in groups:
                x = torch.cat([torch.full((w.shape[0], 1), bos), w[:, :-1]], dim=1)
                logits = model(x)
                tot += F.cross_entropy(logits.reshape(-1, logits.shape[-1]).float(), w.reshape(-1),
                                       reduction="sum").item()
                cnt += w.numel()
        model.train()
        return tot / cnt

    gen = torch.Generator().manual_seed(args.seed)
    # LR schedule: linear warmup, then cosine to min_lr_frac*lr. Progress is step/--steps when --steps
    # is given (reproducible), otherwise the fraction of the wall-clock budget --minutes used so far
    # (the machine is shared, so the speed is unknown in advance; the per-step LR is logged).
    total_steps = args.steps
    t_train0 = time.time()
    budget = args.minutes * 60 - (t_train0 - t_start)
    log = open(os.path.join(args.out, "train-log.txt"), "a")
    step = 0
    ema = None
    while True:
        if total_steps and step >= total_steps:
            break
        elapsed = time.time() - t_train0
        if not total_steps and elapsed >= budget:
            print("wall-clock budget reached at step", step, flush=True)
            break
        if step < args.warmup:
            lr = args.lr * (step + 1) / args.warmup
        else:
            prog = (step - args.warmup) / max(1, total_steps - args.warmup) if total_steps else elapsed / budget
            prog = min(1.0, prog)
            lr = args.lr * (args.min_lr_frac + (1 - args.min_lr_frac) * 0.5 * (1 + math.cos(math.pi * prog)))
        for g in opt.param_groups:
            g["lr"] = lr
        x, y = batch(train_ids, args.batch, gen)
        logits = model(x)
        loss = F.cross_entropy(logits.view(-1, logits.shape[-1]), y.view(-1))
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        step += 1
        ema = loss.item() if ema is None else 0.95 * ema + 0.05 * loss.item()
        msg = "step %d lr %.2e loss %.4f ema %.4f elapsed %.0fs" % (step, lr, loss.item(), ema, time.time() - t_train0)
        if step % 10 == 0:
            print(msg, flush=True)
        log.write(msg + "\n")
        if step % args.eval_every == 0:
            hl = eval_held(24)
            m = "step %d held-out(first 24 windows) loss %.4f ppl %.2f" % (step, hl, math.exp(hl))
            print(m, flush=True)
            log.write(m + "\n")
            log.flush()
        if step % args.ckpt_every == 0:
            torch.save({"cfg": cfg, "model": model.state_dict(), "step": step, "lr": lr,
                        "args": vars(args)}, os.path.join(args.out, "ckpt.pt"))
    train_time = time.time() - t_train0
    torch.save({"cfg": cfg, "model": model.state_dict(), "step": step, "total_steps": step,
                "args": vars(args)}, os.path.join(args.out, "ckpt.pt"))
    print("training done: %d steps in %.0fs" % (step, train_time), flush=True)
    hl = eval_held()
    # training-set loss on the same protocol over the first len(held) tokens' worth of train windows
    saved = held_ids
    sub = train_ids[:len(held_ids)]
    held_ids = sub
    tl = eval_held()
    held_ids = saved
    res = {"steps": step, "train_seconds": round(train_time, 1), "params": n_params,
           "train_tokens": len(train_ids), "heldout_tokens": len(held_ids),
           "tokens_seen": step * args.batch * L,
           "heldout_loss_torch": hl, "heldout_ppl_torch": math.exp(hl),
           "train_subset_loss_torch": tl, "train_subset_ppl_torch": math.exp(tl)}
    print(json.dumps(res, indent=1), flush=True)
    with open(os.path.join(args.out, "train-result.json"), "w") as f:
        json.dump(res, f, indent=1)


if __name__ == "__main__":
    main()
