#!/usr/bin/env python3
"""embed_hf.py - an `exec` embedder for sciprune: a local Hugging Face encoder over the pipe
protocol of docs/embed-exec-protocol.md.

    sciprune embed --in shards/*.jsonl.zst --workdir W \\
        --embedder exec:'python3 scripts/embed_hf.py /models/starencoder'

Vectors: the encoder's last hidden states, mean-pooled over the non-padding tokens of each text,
texts truncated to --max-tokens tokens (default 512). fp16 on a GPU, fp32 on the CPU (override
with --dtype). For StarEncoder-style tokenizers that define <cls>/<sep>/<pad> tokens but do not
add them, each text is wrapped as <cls> text <sep> (--wrap auto|on|off).

Nothing but protocol bytes goes to stdout: file descriptor 1 is re-pointed at stderr once the
protocol stream is saved, so prints and warnings from libraries end up in the log.

The model is only loaded by main(); importing this module needs only the standard library.
--fake-dim N skips the model and answers deterministic rows (for protocol tests on machines
without torch).
"""
import argparse
import hashlib
import json
import os
import struct
import sys

PROTOCOL = 1
REQ_MAGIC = b"SPEQ"
RESP_MAGIC = b"SPEV"


# --------------------------------------------------------------------------- protocol

def read_exact(f, n):
    """n bytes from f, or None at a clean end of stream (EOF before the first byte)."""
    if n == 0:
        return b""
    buf = bytearray()
    while len(buf) < n:
        chunk = f.read(n - len(buf))
        if not chunk:
            if not buf:
                return None
            raise EOFError("stream ended inside a request (%d of %d bytes)" % (len(buf), n))
        buf += chunk
    return bytes(buf)


def read_request(f):
    """The next request's texts (list of bytes), or None when the parent closed stdin."""
    head = read_exact(f, 8)
    if head is None:
        return None
    if head[:4] != REQ_MAGIC:
        raise ValueError("bad request magic %r" % head[:4])
    (count,) = struct.unpack("<I", head[4:])
    lens = struct.unpack("<%dI" % count, read_exact(f, 4 * count)) if count else ()
    return [read_exact(f, n) for n in lens]


def write_handshake(f, model, dim):
    line = json.dumps({"protocol": PROTOCOL, "model": model, "dim": int(dim), "dtype": "f32"})
    f.write(line.encode() + b"\n")
    f.flush()


def write_response(f, rows, dim):
    """rows: a bytes object of len(rows)*dim little-endian float32 values, or a list of rows."""
    if isinstance(rows, (bytes, bytearray, memoryview)):
        data = bytes(rows)
        count = len(data) // (4 * dim)
    else:
        count = len(rows)
        data = b"".join(struct.pack("<%df" % dim, *r) for r in rows)
    f.write(RESP_MAGIC + struct.pack("<II", count, dim))
    f.write(data)
    f.flush()


def model_id(model_dir, max_tokens, pooling="mean"):
    """<dir name>@<12 hex>:<pooling>:<max tokens>; the hash covers config.json and the names and
    sizes of the weight files, so other weights or settings give another id."""
    h = hashlib.sha256()
    cfg = os.path.join(model_dir, "config.json")
    if os.path.exists(cfg):
        with open(cfg, "rb") as f:
            h.update(f.read())
    for name in sorted(os.listdir(model_dir)):
        if name.endswith((".safetensors", ".bin", ".pt", ".pth", ".h5", ".msgpack")):
            h.update(("%s:%d;" % (name, os.path.getsize(os.path.join(model_dir, name)))).encode())
    base = os.path.basename(os.path.normpath(model_dir)) or "model"
    return "%s@%s:%s:%d" % (base, h.hexdigest()[:12], pooling, max_tokens)


# ------------------------------------------------------------------------------ model

class Encoder:
    """A Hugging Face encoder with mean pooling. Needs torch and transformers."""

    def __init__(self, model_dir, max_tokens=512, device="auto", dtype="auto", wrap="auto",
                 gpu_batch=32, trust_remote_code=False):
        import torch
        from transformers import AutoModel, AutoTokenizer

        self.torch = torch
        if device == "auto":
            device = "cuda" if torch.cuda.is_available() else "cpu"
        self.device = torch.device(device)
        if dtype == "auto":
            dtype = "fp16" if self.device.type == "cuda" else "fp32"
        tdtype = {"fp16": torch.float16, "bf16": torch.bfloat16, "fp32": torch.float32}[dtype]
        self.tok = AutoTokenizer.from_pretrained(model_dir, local_files_only=True,
                                                 trust_remote_code=trust_remote_code)
        self.model = AutoModel.from_pretrained(model_dir, local_files_only=True, torch_dtype=tdtype,
                                               trust_remote_code=trust_remote_code)
        self.model.to(self.device).eval()
        self.max_tokens = max_tokens
        self.gpu_batch = gpu_batch
        self.dim = int(self.model.config.hidden_size)
        vocab = self.tok.get_vocab()
        # pad token: the tokenizer's, else <pad> from the vocabulary, else eos / unk
        pad = self.tok.pad_token_id
        if pad is None and "<pad>" in vocab:
            pad = vocab["<pad>"]
        if pad is None:
            pad = self.tok.eos_token_id if self.tok.eos_token_id is not None else self.tok.unk_token_id
        if pad is None:
            pad = 0
        self.pad_id = pad
        # StarEncoder: <cls> text <sep>, which its tokenizer does not add by itself
        adds_special = len(self.tok("a", add_special_tokens=True)["input_ids"]) > \
            len(self.tok("a", add_special_tokens=False)["input_ids"])
        has_cls_sep = "<cls>" in vocab and "<sep>" in vocab
        self.wrap = has_cls_sep and not adds_special if wrap == "auto" else wrap == "on"
        if self.wrap and not has_cls_sep:
            raise SystemExit("embed_hf: --wrap on, but the vocabulary has no <cls>/<sep>")
        self.cls_id = vocab.get("<cls>")
        self.sep_id = vocab.get("<sep>")
        sys.stderr.write("embed_hf: %s on %s (%s), dim %d, max %d tokens, wrap %s\n" % (
            model_dir, self.device, dtype, self.dim, max_tokens, self.wrap))
        sys.stderr.flush()

    def token_ids(self, texts):
        if self.wrap:
            body = self.tok(texts, add_special_tokens=False, truncation=True,
                            max_length=max(1, self.max_tokens - 2))["input_ids"]
            ids = [[self.cls_id] + x + [self.sep_id] for x in body]
        else:
            ids = self.tok(texts, add_special_tokens=True, truncation=True,
                           max_length=self.max_tokens)["input_ids"]
        # an empty text still needs one token to pool over
        return [x if x else [self.pad_id] for x in ids]

    def embed(self, texts):
        """texts: list of str. Returns little-endian float32 bytes, len(texts) rows."""
        torch = self.torch
        ids = self.token_ids(texts)
        order = sorted(range(len(ids)), key=lambda i: len(ids[i]))  # less padding per batch
        rows = [None] * len(ids)
        with torch.inference_mode():
            for start in range(0, len(order), self.gpu_batch):
                part = order[start:start + self.gpu_batch]
                width = max(len(ids[i]) for i in part)
                inp = torch.full((len(part), width), self.pad_id, dtype=torch.long)
                mask = torch.zeros((len(part), width), dtype=torch.long)
                for r, i in enumerate(part):
                    inp[r, :len(ids[i])] = torch.tensor(ids[i], dtype=torch.long)
                    mask[r, :len(ids[i])] = 1
                inp, mask = inp.to(self.device), mask.to(self.device)
                hidden = self.model(input_ids=inp, attention_mask=mask)[0]
                # mean over non-padding tokens, in float32
                m = mask.unsqueeze(-1).to(torch.float32)
                pooled = (hidden.to(torch.float32) * m).sum(1) / m.sum(1).clamp(min=1.0)
                pooled = pooled.cpu()
                for r, i in enumerate(part):
                    rows[i] = pooled[r]
        out = torch.stack(rows).to(torch.float32).contiguous()
        if not torch.isfinite(out).all():
            raise FloatingPointError("non-finite values in the pooled vectors (fp16 overflow? try --dtype fp32)")
        return out.numpy().astype("<f4").tobytes()


class FakeEncoder:
    """Deterministic rows without a model: [len, count('a'), count('b'), ...] of the UTF-8 bytes."""

    def __init__(self, dim):
        self.dim = dim

    def embed(self, texts):
        rows = []
        for t in texts:
            b = t.encode("utf-8")
            rows.append([float(len(b))] + [float(b.count(bytes([97 + k % 26]))) for k in range(self.dim - 1)])
        return b"".join(struct.pack("<%df" % self.dim, *r) for r in rows)


# ------------------------------------------------------------------------------- main

def main(argv=None):
    ap = argparse.ArgumentParser(description="sciprune exec embedder for local Hugging Face encoders")
    ap.add_argument("model_dir", help="folder with config.json, tokenizer and weights")
    ap.add_argument("--max-tokens", type=int, default=512, help="truncate texts to this many tokens (512)")
    ap.add_argument("--device", default="auto", help="auto (cuda if available), cpu, cuda, cuda:1 ...")
    ap.add_argument("--dtype", default="auto", choices=["auto", "fp16", "bf16", "fp32"],
                    help="model precision: auto = fp16 on GPU, fp32 on CPU")
    ap.add_argument("--wrap", default="auto", choices=["auto", "on", "off"],
                    help="wrap texts as <cls> text <sep> (auto: when the vocabulary has them and "
                         "the tokenizer adds no special tokens itself, as for StarEncoder)")
    ap.add_argument("--gpu-batch", type=int, default=32, help="texts per forward pass (32)")
    ap.add_argument("--model-id", help="id announced in the handshake (default: derived from the files)")
    ap.add_argument("--trust-remote-code", action="store_true")
    ap.add_argument("--fake-dim", type=int, default=0, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)

    # keep the protocol stream, then send fd 1 (prints, C libraries) to stderr
    proto_out = os.fdopen(os.dup(1), "wb", buffering=1 << 16)
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    proto_in = sys.stdin.buffer

    if args.fake_dim:
        enc = FakeEncoder(args.fake_dim)
        mid = args.model_id or "fake-%d" % args.fake_dim
    else:
        enc = Encoder(args.model_dir, args.max_tokens, args.device, args.dtype, args.wrap,
                      args.gpu_batch, args.trust_remote_code)
        mid = args.model_id or model_id(args.model_dir, args.max_tokens)
    write_handshake(proto_out, mid, enc.dim)
    n = 0
    while True:
        texts = read_request(proto_in)
        if texts is None:
            break
        # the parent sends valid UTF-8; "replace" keeps a broken byte from killing a long run
        data = enc.embed([t.decode("utf-8", "replace") for t in texts])
        write_response(proto_out, data, enc.dim)
        n += 1
    sys.stderr.write("embed_hf: %d requests answered\n" % n)
    return 0


if __name__ == "__main__":
    sys.exit(main())
