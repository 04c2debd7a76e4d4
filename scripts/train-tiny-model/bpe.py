"""Byte-level BPE (GPT-2 / LLaMA-3 style), own implementation.

Pre-tokenizer: the LLaMA-3 regex, translated to Python's `re` (the `regex`
module with \\p{..} classes is not available here):

  LLaMA-3:  (?i:'s|'t|'re|'ve|'m|'ll|'d) | [^\\r\\n\\p{L}\\p{N}]?\\p{L}+ | \\p{N}{1,3}
            | ?[^\\s\\p{L}\\p{N}]+[\\r\\n]* | \\s*[\\r\\n]+ | \\s+(?!\\S) | \\s+
  here:     \\p{L}  -> [^\\W\\d_]   (word chars minus digits minus underscore = letters)
            \\p{N}  -> \\d
            [^\\r\\n\\p{L}\\p{N}] -> (?:[^\\r\\n\\w]|_)
            [^\\s\\p{L}\\p{N}]   -> (?:[^\\s\\w]|_)
For ASCII text (the KJV corpus is pure ASCII) the two are identical; for exotic
Unicode (letter-like numerics, combining marks) they may differ slightly.

Token ids: 0..255 are the 256 single bytes in GPT-2 bytes_to_unicode order
(printable '!'..'~', '¡'..'¬', '®'..'ÿ', then the remaining bytes), then one id
per merge in merge order, then the special tokens.
"""
import re
from collections import Counter

PRETOK_RE = re.compile(
    r"(?i:'s|'t|'re|'ve|'m|'ll|'d)"
    r"|(?:[^\r\n\w]|_)?[^\W\d_]+"
    r"|\d{1,3}"
    r"| ?(?:[^\s\w]|_)+[\r\n]*"
    r"|\s*[\r\n]+"
    r"|\s+(?!\S)"
    r"|\s+"
)

SPECIALS = [
    "<|begin_of_text|>", "<|end_of_text|>", "<|reserved_special_token_0|>",
    "<|reserved_special_token_1|>", "<|finetune_right_pad_id|>", "<|start_header_id|>",
    "<|end_header_id|>", "<|eot_id|>",
]


def bytes_to_unicode_order():
    """GPT-2's byte -> printable unicode char map, as an ordered list of (byte, char)."""
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + \
        list(range(ord("®"), ord("ÿ") + 1))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return [(b, chr(c)) for b, c in zip(bs, cs)]


BYTE_ORDER = bytes_to_unicode_order()
BYTE_ENC = {b: c for b, c in BYTE_ORDER}            # byte value -> unicode char
BYTE_DEC = {c: b for b, c in BYTE_ORDER}
BYTE_ID = {b: i for i, (b, _) in enumerate(BYTE_ORDER)}  # byte value -> token id


def pretokenize(text):
    return PRETOK_RE.findall(text)


def train_bpe(text, n_merges, log=print):
    """Classic BPE on pre-token counts with incremental pair-count updates.
    Returns a list of merges as (left_id, right_id); merge i creates id 256+i.
    Ties on count are broken by the smaller (left_id, right_id)."""
    counts = Counter(pretokenize(text))
    words = []
    freqs = []
    for w, c in counts.items():
        words.append([BYTE_ID[b] for b in w.encode("utf-8")])
        freqs.append(c)
    pair_count = Counter()
    where = {}
    for wi, w in enumerate(words):
        f = freqs[wi]
        for a, b in zip(w, w[1:]):
            pair_count[(a, b)] += f
            where.setdefault((a, b), set()).add(wi)
    merges = []
    for m in range(n_merges):
        if not pair_count:
            break
        best = max(pair_count.items(), key=lambda kv: (kv[1], (-kv[0][0], -kv[0][1])))
        pair, cnt = best
        if cnt < 2:
            break
        new_id = 256 + m
        merges.append(pair)
        a, b = pair
        for wi in list(where.get(pair, ())):
            w = words[wi]
            f = freqs[wi]
            # remove old pair counts of this word
            for p in zip(w, w[1:]):
                pair_count[p] -= f
                if pair_count[p] <= 0:
                    del pair_count[p]
                s = where.get(p)
                if s is not None:
                    s.discard(wi)
            nw = []
            i = 0
            while i < len(w):
                if i + 1 < len(w) and w[i] == a and w[i + 1] == b:
                    nw.append(new_id)
                    i += 2
                else:
                    nw.append(w[i])
                    i += 1
            words[wi] = nw
            for p in zip(nw, nw[1:]):
                pair_count[p] += f
                where.setdefault(p, set()).add(wi)
        where.pop(pair, None)
        pair_count.pop(pair, None)
        if log and (m + 1) % 500 == 0:
            log("bpe: %d merges, last count %d" % (m + 1, cnt))
    return merges


class Tokenizer:
    """Byte-level BPE tokenizer from token strings + merges (GGUF style)."""

    def __init__(self, tokens, merges_str, token_types=None):
        self.tokens = tokens
        self.tok_id = {t: i for i, t in enumerate(tokens)}
        self.ranks = {}
        for r, m in enumerate(merges_str):
            i = m.index(" ", 1)
            self.ranks[(m[:i], m[i + 1:])] = r
        self.cache = {}
        self.special = {}
        if token_types is not None:
            self.special = {tokens[i]: i for i, t in enumerate(token_types) if t == 3}

    @classmethod
    def from_merges(cls, merges):
        tokens = [c for _, c in BYTE_ORDER]
        merges_str = []
        for a, b in merges:
            merges_str.append(tokens[a] + " " + tokens[b])
            tokens.append(tokens[a] + tokens[b])
        tokens = tokens + SPECIALS
        types = [1] * (len(tokens) - len(SPECIALS)) + [3] * len(SPECIALS)
        return cls(tokens, merges_str, types)

    def bpe(self, word):
        """word: pre-token string -> list of ids."""
        r = self.cache.get(word)
        if r is not None:
            return r
        parts = [BYTE_ENC[b] for b in word.encode("utf-8")]
        while len(parts) > 1:
            best = None
            best_rank = None
            for i in range(len(parts) - 1):
                rk = self.ranks.get((parts[i], parts[i + 1]))
                if rk is not None and (best_rank is None or rk < best_rank):
                    best, best_rank = i, rk
            if best is None:
                break
            parts[best:best + 2] = [parts[best] + parts[best + 1]]
        r = [self.tok_id[p] for p in parts]
        self.cache[word] = r
        return r

    def encode(self, text):
        """Plain text -> ids. Special-token strings are NOT parsed (treated as text)."""
        out = []
        for w in pretokenize(text):
            out.extend(self.bpe(w))
        return out

    def decode(self, ids):
        bs = bytearray()
        for i in ids:
            t = self.tokens[i]
            if t in self.special:
                bs.extend(t.encode("utf-8"))
            else:
                bs.extend(BYTE_DEC[c] for c in t)
        return bs.decode("utf-8", errors="replace")
