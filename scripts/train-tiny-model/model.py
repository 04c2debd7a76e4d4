"""BitNet b1.58 2B4T architecture (scaled down) in PyTorch, own code.

Training model (BitNetLM): master weights in f32; every projection is a BitLinear
with absmean ternary weights (s = 1/max(mean|W|,1e-5), W_q = clamp(round(W*s),-1,1)/s)
and per-token int8 activations (absmax 127, 1e-5 floor, round half to even,
clamp [-128,127]), both through a straight-through estimator. Token embedding
is tied to the LM head and is rounded to f16 in the forward pass (STE), since
it is exported as F16.
"""
import math
import torch
import torch.nn as nn
import torch.nn.functional as F


def weight_quant(w):
    """absmean ternary: returns (ternary int tensor, scale = 1/s as f32 scalar tensor)."""
    s = 1.0 / w.abs().mean().clamp(min=1e-5)
    t = (w * s).round().clamp(-1, 1)
    return t, 1.0 / s


def act_quant(x):
    s = 127.0 / x.abs().amax(dim=-1, keepdim=True).clamp(min=1e-5)
    return (x * s).round().clamp(-128, 127) / s


class BitLinear(nn.Module):
    def __init__(self, n_in, n_out):
        super().__init__()
        self.weight = nn.Parameter(torch.empty(n_out, n_in))
        nn.init.normal_(self.weight, std=0.02)

    def forward(self, x):
        w = self.weight
        s = 1.0 / w.abs().mean().clamp(min=1e-5)
        wq = (w * s).round().clamp(-1, 1) / s
        w = w + (wq - w).detach()
        x = x + (act_quant(x) - x).detach()
        return F.linear(x, w)


class RMSNorm(nn.Module):
    def __init__(self, n, eps=1e-5):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(n))
        self.eps = eps

    def forward(self, x):
        return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.eps) * self.weight


def rope_cos_sin(T, head_dim, base, device=None):
    """NEOX RoPE tables, angles built like ggml: theta_0 = p, theta_{i+1} = theta_i * theta_scale
    (cumulative product in f32), theta_scale = base^(-2/head_dim)."""
    half = head_dim // 2
    theta_scale = torch.tensor(base, dtype=torch.float32) ** torch.tensor(-2.0 / head_dim, dtype=torch.float32)
    pos = torch.arange(T, dtype=torch.float32)
    cols = [pos]
    for _ in range(half - 1):
        cols.append(cols[-1] * theta_scale)
    theta = torch.stack(cols, dim=1)  # T, half
    return theta.cos(), theta.sin()


def apply_rope(x, cos, sin):
    # x: B, H, T, D ; pairs (i, i + D/2)
    half = x.shape[-1] // 2
    x1, x2 = x[..., :half], x[..., half:]
    return torch.cat([x1 * cos - x2 * sin, x1 * sin + x2 * cos], dim=-1)


class Block(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        d, hd = cfg["n_embd"], cfg["head_dim"]
        self.nh, self.nkv, self.hd = cfg["n_head"], cfg["n_head_kv"], hd
        self.attn_norm = RMSNorm(d, cfg["eps"])
        self.q = BitLinear(d, self.nh * hd)
        self.k = BitLinear(d, self.nkv * hd)
        self.v = BitLinear(d, self.nkv * hd)
        self.attn_sub_norm = RMSNorm(self.nh * hd, cfg["eps"])
        self.o = BitLinear(self.nh * hd, d)
        self.ffn_norm = RMSNorm(d, cfg["eps"])
        self.gate = BitLinear(d, cfg["n_ff"])
        self.up = BitLinear(d, cfg["n_ff"])
        self.ffn_sub_norm = RMSNorm(cfg["n_ff"], cfg["eps"])
        self.down = BitLinear(cfg["n_ff"], d)

    def forward(self, h, cos, sin, mask):
        B, T, _ = h.shape
        a = self.attn_norm(h)
        q = self.q(a).view(B, T, self.nh, self.hd).transpose(1, 2)
        k = self.k(a).view(B, T, self.nkv, self.hd).transpose(1, 2)
        v = self.v(a).view(B, T, self.nkv, self.hd).transpose(1, 2)
        q, k = apply_rope(q, cos, sin), apply_rope(k, cos, sin)
        g = self.nh // self.nkv
        k = k.repeat_interleave(g, dim=1)  # query head h uses kv head h // g
        v = v.repeat_interleave(g, dim=1)
        att = (q @ k.transpose(-1, -2)) * (1.0 / math.sqrt(self.hd)) + mask
        att = att.softmax(-1)
        o = (att @ v).transpose(1, 2).reshape(B, T, self.nh * self.hd)
        h = h + self.o(self.attn_sub_norm(o))
        f = self.ffn_norm(h)
        z = F.relu(self.gate(f)).square() * self.up(f)
        return h + self.down(self.ffn_sub_norm(z))


class BitNetLM(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.cfg = cfg
        self.embd = nn.Parameter(torch.randn(cfg["vocab"], cfg["n_embd"]) * 0.02)
        self.blocks = nn.ModuleList([Block(cfg) for _ in range(cfg["n_layer"])])
        self.out_norm = RMSNorm(cfg["n_embd"], cfg["eps"])
        cos, sin = rope_cos_sin(cfg["ctx"], cfg["head_dim"], cfg["rope_base"])
        self.register_buffer("cos", cos, persistent=False)
        self.register_buffer("sin", sin, persistent=False)

    def forward(self, idx):
        B, T = idx.shape
        e = self.embd
        e = e + (e.half().float() - e).detach()   # exported as F16
        h = F.embedding(idx, e)
        mask = torch.full((T, T), float("-inf")).triu(1)
        cos, sin = self.cos[:T], self.sin[:T]
        for blk in self.blocks:
            h = blk(h, cos, sin, mask)
        return self.out_norm(h) @ e.t()
