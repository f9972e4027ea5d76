"""sciprune - Python binding of libsciprune (ctypes over the C ABI of include/sciprune.h).

No compiler is needed: the package loads the installed shared library, found as
$SCIPRUNE_LIB (a path) when set, else "libsciprune.so.0" through the dynamic loader
(LD_LIBRARY_PATH, the system's library folders).

    import sciprune
    m = sciprune.Model("model/")                 # sciprune export --out model/
    v = m.judge(open("x.py").read(), "python")    # Verdict(keep=True, reason='keep', ...)
    X = m.embed(["def f(): pass", "int x;"], ["python", "c"])   # numpy (2, dim) float32
    w = sciprune.Workdir("work/")                 # a `sciprune run` workdir
    w.pruned("gate+distance-p0.20", "shard-00000.jsonl.zst")    # numpy bool per line

A Model serves many threads: each thread gets its own worker (per-thread scratch) on first use.
"""
import ctypes
import json
import os
import threading

import numpy as np

__all__ = ["SciPruneError", "Model", "Verdict", "Workdir", "version", "library"]

_lib = None
_lock = threading.Lock()


class _Error(ctypes.Structure):
    _fields_ = [("code", ctypes.c_int), ("source", ctypes.c_char * 512),
                ("line", ctypes.c_int64), ("offset", ctypes.c_int64), ("text", ctypes.c_char * 1024)]


class _Verdict(ctypes.Structure):
    _fields_ = [("keep", ctypes.c_int), ("reason", ctypes.c_int), ("cluster", ctypes.c_int32),
                ("distance", ctypes.c_float), ("cluster_size", ctypes.c_uint64),
                ("parse_error", ctypes.c_float), ("undefined_name", ctypes.c_float),
                ("gated", ctypes.c_int), ("from_training", ctypes.c_int), ("row", ctypes.c_int)]


class _Doc(ctypes.Structure):
    _fields_ = [("text", ctypes.c_char_p), ("len", ctypes.c_size_t), ("lang", ctypes.c_char_p),
                ("path", ctypes.c_char_p), ("id", ctypes.c_char_p)]


_STATUS = ["OK", "ENOMEM", "EIO", "EPARSE", "EINVAL", "EBACKEND", "ESTATE"]


class SciPruneError(Exception):
    """A libsciprune error: .status ("EIO", ...), .source, .line, .text."""

    def __init__(self, err):
        self.status = _STATUS[err.code] if 0 <= err.code < len(_STATUS) else str(err.code)
        self.source = err.source.decode("utf-8", "replace")
        self.line = err.line
        self.text = err.text.decode("utf-8", "replace")
        where = self.source + (f":{self.line}" if self.line >= 0 else "")
        super().__init__(f"{self.status}: {where + ': ' if where else ''}{self.text}")


def library():
    """The loaded ctypes.CDLL (loaded on first use)."""
    global _lib
    with _lock:
        if _lib is None:
            lib = ctypes.CDLL(os.environ.get("SCIPRUNE_LIB") or "libsciprune.so.0")
            P, E = ctypes.c_void_p, ctypes.POINTER(_Error)
            sig = {
                "sciprune_version": (ctypes.c_char_p, []),
                "sciprune_data_dir": (ctypes.c_char_p, []),
                "sciprune_reason_name": (ctypes.c_char_p, [ctypes.c_int]),
                "sciprune_model_open": (ctypes.c_int, [ctypes.POINTER(P), ctypes.c_char_p, E]),
                "sciprune_model_free": (None, [P]),
                "sciprune_model_variant": (ctypes.c_char_p, [P]),
                "sciprune_model_metric": (ctypes.c_char_p, [P]),
                "sciprune_model_dim": (ctypes.c_uint32, [P]),
                "sciprune_model_k": (ctypes.c_uint32, [P]),
                "sciprune_model_worker_new": (ctypes.c_int, [ctypes.POINTER(P), P, E]),
                "sciprune_model_worker_free": (None, [P]),
                "sciprune_model_judge_doc": (ctypes.c_int, [P, P, ctypes.POINTER(_Doc),
                                                            ctypes.POINTER(_Verdict), E]),
                "sciprune_model_embed": (ctypes.c_int, [P, P, ctypes.c_char_p, ctypes.c_size_t,
                                                        ctypes.c_char_p,
                                                        ctypes.POINTER(ctypes.c_float),
                                                        ctypes.c_size_t, E]),
            }
            for name, (res, args) in sig.items():
                f = getattr(lib, name)
                f.restype, f.argtypes = res, args
            _lib = lib
    return _lib


def version():
    """The library's version string ("0.1.0")."""
    return library().sciprune_version().decode()


class Verdict:
    """keep (bool), reason ("keep", "parse_error", "undefined_name", "small_cluster", "far",
    "far_in_cluster", "random", "long", "unnatural", "learned", "sites"), cluster, distance,
    cluster_size, parse_error,
    undefined_name (gate values), gated, from_training."""

    __slots__ = ("keep", "reason", "cluster", "distance", "cluster_size", "parse_error",
                 "undefined_name", "gated", "from_training")

    def __init__(self, v):
        self.keep = bool(v.keep)
        self.reason = library().sciprune_reason_name(v.reason).decode()
        self.cluster = v.cluster
        self.distance = v.distance
        self.cluster_size = v.cluster_size
        self.parse_error = v.parse_error
        self.undefined_name = v.undefined_name
        self.gated = bool(v.gated)
        self.from_training = bool(v.from_training)

    def __bool__(self):
        return self.keep

    def __repr__(self):
        return ("Verdict(" + ", ".join(f"{k}={getattr(self, k)!r}" for k in self.__slots__) + ")")


def _b(s):
    return None if s is None else (s.encode("utf-8") if isinstance(s, str) else bytes(s))


class Model:
    """A pruning model folder (`sciprune export`). judge() and embed() may be called from many
    threads; each thread uses its own worker."""

    def __init__(self, path):
        self._lib = library()
        self._m = ctypes.c_void_p()
        err = _Error()
        if self._lib.sciprune_model_open(ctypes.byref(self._m), os.fsencode(path), ctypes.byref(err)):
            raise SciPruneError(err)
        self._tls = threading.local()
        self._workers = []
        self._wlock = threading.Lock()
        self.path = path
        self.variant = self._lib.sciprune_model_variant(self._m).decode()
        self.metric = self._lib.sciprune_model_metric(self._m).decode()
        self.dim = self._lib.sciprune_model_dim(self._m)
        self.k = self._lib.sciprune_model_k(self._m)

    def _worker(self):
        w = getattr(self._tls, "w", None)
        if w is None:
            if not self._m:
                raise ValueError("model is closed")
            w = ctypes.c_void_p()
            err = _Error()
            if self._lib.sciprune_model_worker_new(ctypes.byref(w), self._m, ctypes.byref(err)):
                raise SciPruneError(err)
            self._tls.w = w
            with self._wlock:
                self._workers.append(w)
        return w

    def judge(self, text, lang=None, path=None, id=None):
        """Keep or drop `text` (str or bytes) of language `lang` ("python", ...). `id` (the
        record id) is needed by random-baseline models; `path` shows the gates' Python hosts."""
        t = _b(text)
        doc = _Doc(t, len(t), _b(lang), _b(path), _b(id))
        v, err = _Verdict(), _Error()
        if self._lib.sciprune_model_judge_doc(self._m, self._worker(), ctypes.byref(doc),
                                              ctypes.byref(v), ctypes.byref(err)):
            raise SciPruneError(err)
        return Verdict(v)

    def embed(self, texts, langs=None):
        """Embed a batch: a float32 numpy array (len(texts), dim), rows as the model's
        embedder makes them (hash: L2-normalised). langs: one name for all, or one per text."""
        texts = list(texts)
        if langs is None or isinstance(langs, (str, bytes)):
            langs = [langs] * len(texts)
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        w, err = self._worker(), _Error()
        fp = ctypes.POINTER(ctypes.c_float)
        for i, (t, l) in enumerate(zip(texts, langs)):
            tb = _b(t)
            row = out[i].ctypes.data_as(fp)
            if self._lib.sciprune_model_embed(self._m, w, tb, len(tb), _b(l), row, self.dim,
                                              ctypes.byref(err)):
                raise SciPruneError(err)
        return out

    def close(self):
        """Free the workers and the model (also done when the object is collected)."""
        if getattr(self, "_m", None):
            for w in self._workers:
                self._lib.sciprune_model_worker_free(w)
            self._workers = []
            self._lib.sciprune_model_free(self._m)
            self._m = ctypes.c_void_p()

    def __enter__(self):
        return self

    def __exit__(self, *a):
        self.close()

    def __del__(self):
        try:
            self.close()
        except Exception:
            pass


class Workdir:
    """Results of a `sciprune run` workdir, read with numpy and json (the formats are in the
    README's workdir listing)."""

    def __init__(self, path):
        self.path = path

    def _json(self, rel):
        with open(os.path.join(self.path, rel)) as f:
            return json.load(f)

    def shards(self):
        """Shard file names, in input order."""
        return [s["name"] for s in self._json("embed/shards.json")["shards"]]

    @property
    def plan(self):
        return self._json("score/plan.json")

    @property
    def report(self):
        return self._json("report.json")

    def variants(self):
        return [v["name"] for v in self.plan["variants"]]

    def recommendation(self):
        """The analysis' recommendation (analyze/report.json), or None."""
        p = os.path.join(self.path, "analyze/report.json")
        return self._json("analyze/report.json")["recommendation"] if os.path.exists(p) else None

    def assignments(self, shard):
        """(cluster int32, distance float32) per line of `shard`; cluster -1 = rejected."""
        return (np.load(os.path.join(self.path, "assign", shard + ".cluster.npy")),
                np.load(os.path.join(self.path, "assign", shard + ".dist.npy")))

    def vectors(self, shard):
        """The embed stage's vectors of `shard` (one row per line)."""
        return np.load(os.path.join(self.path, "embed", shard + ".npy"))

    def pruned(self, variant, shard):
        """bool per line of `shard`: True when `variant` prunes it."""
        plan = self.plan
        bit = {v["name"]: v["bit"] for v in plan["variants"]}[variant]
        mask = np.load(os.path.join(self.path, "score", shard + ".prune.npy"))
        return np.unpackbits(mask, axis=1, bitorder="little")[:, bit].astype(bool)
