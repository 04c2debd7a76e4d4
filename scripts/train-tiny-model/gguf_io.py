"""Minimal GGUF v3 reader/writer (own code, no gguf-py dependency).

Only what the BitNet b1.58 2B4T layout needs: scalar/string/array metadata,
tensors of type F32 (0), F16 (1) and I2_S (36), alignment 32.
"""
import struct

GGUF_MAGIC = b"GGUF"
ALIGN = 32

# metadata value types
T_U8, T_I8, T_U16, T_I16, T_U32, T_I32, T_F32, T_BOOL, T_STR, T_ARR, T_U64, T_I64, T_F64 = range(13)
_SCALAR_FMT = {T_U8: "<B", T_I8: "<b", T_U16: "<H", T_I16: "<h", T_U32: "<I", T_I32: "<i",
               T_F32: "<f", T_BOOL: "<?", T_U64: "<Q", T_I64: "<q", T_F64: "<d"}
TYPE_NAMES = {T_U8: "u8", T_I8: "i8", T_U16: "u16", T_I16: "i16", T_U32: "u32", T_I32: "i32",
              T_F32: "f32", T_BOOL: "bool", T_STR: "str", T_ARR: "arr", T_U64: "u64",
              T_I64: "i64", T_F64: "f64"}

GGML_F32, GGML_F16, GGML_I2_S = 0, 1, 36
GGML_TYPE_NAMES = {0: "F32", 1: "F16", 36: "I2_S"}


def tensor_nbytes(ggml_type, n):
    if ggml_type == GGML_F32:
        return 4 * n
    if ggml_type == GGML_F16:
        return 2 * n
    if ggml_type == GGML_I2_S:
        return n // 4 + 32
    raise ValueError("unsupported ggml type %d" % ggml_type)


def _pad(n):
    return (ALIGN - n % ALIGN) % ALIGN


# ---------------------------------------------------------------- writer
class GGUFWriter:
    def __init__(self):
        self.kv = []        # (key, vtype, value, elem_type)
        self.tensors = []   # (name, ne list, ggml_type, bytes)

    def add(self, key, vtype, value, elem_type=None):
        self.kv.append((key, vtype, value, elem_type))

    def add_tensor(self, name, ne, ggml_type, data):
        n = 1
        for d in ne:
            n *= d
        assert len(data) == tensor_nbytes(ggml_type, n), (name, len(data))
        self.tensors.append((name, list(ne), ggml_type, bytes(data)))

    @staticmethod
    def _str(s):
        b = s.encode("utf-8")
        return struct.pack("<Q", len(b)) + b

    def _value(self, vtype, value, elem_type):
        if vtype == T_STR:
            return self._str(value)
        if vtype == T_ARR:
            out = [struct.pack("<IQ", elem_type, len(value))]
            if elem_type == T_STR:
                out.extend(self._str(v) for v in value)
            else:
                fmt = _SCALAR_FMT[elem_type]
                out.extend(struct.pack(fmt, v) for v in value)
            return b"".join(out)
        return struct.pack(_SCALAR_FMT[vtype], value)

    def write(self, path):
        head = [GGUF_MAGIC, struct.pack("<IQQ", 3, len(self.tensors), len(self.kv))]
        for key, vtype, value, et in self.kv:
            head.append(self._str(key))
            head.append(struct.pack("<I", vtype))
            head.append(self._value(vtype, value, et))
        offset = 0
        offsets = []
        for name, ne, gt, data in self.tensors:
            offsets.append(offset)
            offset += len(data) + _pad(len(data))
        for (name, ne, gt, data), off in zip(self.tensors, offsets):
            head.append(self._str(name))
            head.append(struct.pack("<I", len(ne)))
            head.append(struct.pack("<%dQ" % len(ne), *ne))
            head.append(struct.pack("<IQ", gt, off))
        header = b"".join(head)
        with open(path, "wb") as f:
            f.write(header)
            f.write(b"\0" * _pad(len(header)))
            for name, ne, gt, data in self.tensors:
                f.write(data)
                f.write(b"\0" * _pad(len(data)))


# ---------------------------------------------------------------- reader
class GGUFFile:
    def __init__(self, path):
        with open(path, "rb") as f:
            self.buf = f.read()
        b = self.buf
        assert b[:4] == GGUF_MAGIC, "bad magic"
        self.version, n_t, n_kv = struct.unpack_from("<IQQ", b, 4)
        p = 24
        self.kv = []  # (key, vtype, value, elem_type)
        for _ in range(n_kv):
            key, p = self._rstr(p)
            (vt,), p = struct.unpack_from("<I", b, p), p + 4
            val, et, p = self._rval(vt, p)
            self.kv.append((key, vt, val, et))
        self.meta = {k: v for k, _, v, _ in self.kv}
        align = self.meta.get("general.alignment", ALIGN)
        self.tinfo = []
        for _ in range(n_t):
            name, p = self._rstr(p)
            (nd,) = struct.unpack_from("<I", b, p); p += 4
            ne = list(struct.unpack_from("<%dQ" % nd, b, p)); p += 8 * nd
            gt, off = struct.unpack_from("<IQ", b, p); p += 12
            self.tinfo.append((name, ne, gt, off))
        self.data_start = p + (align - p % align) % align
        self.tensors = {}
        for name, ne, gt, off in self.tinfo:
            n = 1
            for d in ne:
                n *= d
            assert off % align == 0
            s = self.data_start + off
            self.tensors[name] = (ne, gt, b[s:s + tensor_nbytes(gt, n)])

    def _rstr(self, p):
        (n,) = struct.unpack_from("<Q", self.buf, p)
        return self.buf[p + 8:p + 8 + n].decode("utf-8"), p + 8 + n

    def _rval(self, vt, p):
        if vt == T_STR:
            s, p = self._rstr(p)
            return s, None, p
        if vt == T_ARR:
            et, n = struct.unpack_from("<IQ", self.buf, p); p += 12
            if et == T_STR:
                out = []
                for _ in range(n):
                    s, p = self._rstr(p)
                    out.append(s)
                return out, et, p
            fmt = _SCALAR_FMT[et]
            sz = struct.calcsize(fmt)
            out = list(struct.unpack_from("<%d%s" % (n, fmt[1]), self.buf, p))
            return out, et, p + sz * n
        fmt = _SCALAR_FMT[vt]
        return struct.unpack_from(fmt, self.buf, p)[0], None, p + struct.calcsize(fmt)

    def structure(self):
        """Text dump of the structure (key names/types, tensor names/types/ranks)."""
        lines = ["version %d" % self.version]
        for k, vt, v, et in self.kv:
            t = TYPE_NAMES[vt] + ("[%s]" % TYPE_NAMES[et] if vt == T_ARR else "")
            if vt == T_ARR:
                desc = "len=%d" % len(v)
            elif vt == T_STR:
                desc = repr(v[:60])
            else:
                desc = repr(v)
            lines.append("kv %-45s %-10s %s" % (k, t, desc))
        for name, ne, gt, off in self.tinfo:
            lines.append("tensor %-28s %-5s %s" % (name, GGML_TYPE_NAMES.get(gt, gt), ne))
        return "\n".join(lines)


# ---------------------------------------------------------------- I2_S
def pack_i2s(tern_flat, scale):
    """tern_flat: sequence of ints in {-1,0,1} in ggml row-major order (n % 128 == 0).
    Returns n/4 packed bytes + 32-byte tail (float32 scale, then 28 zero bytes)."""
    import numpy as np
    t = np.asarray(tern_flat, dtype=np.int64).reshape(-1, 4, 32)  # block, group, j
    assert t.min() >= -1 and t.max() <= 1
    c = (t + 1).astype(np.uint8)
    packed = (c[:, 0, :] << 6) | (c[:, 1, :] << 4) | (c[:, 2, :] << 2) | c[:, 3, :]
    tail = struct.pack("<f", scale) + b"\0" * 28
    return packed.astype(np.uint8).tobytes() + tail


def unpack_i2s(data, n):
    """Inverse of pack_i2s: returns (int8 ternary array of length n, float32 scale)."""
    import numpy as np
    pb = np.frombuffer(data[:n // 4], dtype=np.uint8).reshape(-1, 32)
    codes = np.stack([(pb >> 6) & 3, (pb >> 4) & 3, (pb >> 2) & 3, pb & 3], axis=1)  # block,4,32
    assert codes.max() <= 2, "code 3 present: corrupt I2_S tensor"
    scale = struct.unpack_from("<f", data, n // 4)[0]
    return codes.reshape(-1).astype(np.int8) - 1, scale
