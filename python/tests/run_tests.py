#!/usr/bin/env python3
"""Run the Python binding's tests against an INSTALLED library: `meson install --destdir` into a
temp tree (tests/install_tree.sh), make a small job with the installed CLI (generated corpus,
gate+distance, distance, random, distance-pc; every variant exported as a model), then run
test_sciprune.py with SCIPRUNE_LIB pointing at the installed libsciprune.so.0."""
import glob, json, os, subprocess, sys, tempfile, unittest

src = os.environ["SCIPRUNE_SOURCE_ROOT"]
build = os.environ["SCIPRUNE_BUILD_ROOT"]
tmp = tempfile.mkdtemp(prefix="sciprune-python-")
try:
    libdir = subprocess.run([f"{src}/tests/install_tree.sh", build, f"{tmp}/tree"], check=True,
                            capture_output=True, text=True).stdout.strip()
    S = f"{tmp}/tree/bin/sciprune"
    env = dict(os.environ)
    env.pop("SCIPRUNE_DATA_DIR", None)
    subprocess.run([sys.executable, f"{src}/tests/corpus/make_corpus.py", "--src", f"{tmp}/src",
                    "--seed", "4"], check=True, stdout=subprocess.DEVNULL)
    subprocess.run([S, "ingest", f"{tmp}/src", "--out", f"{tmp}/shards", "--docs-per-shard", "150"],
                   check=True, stderr=subprocess.DEVNULL, env=env)
    variants = ["gate+distance-p0.20", "distance-p0.20", "random-p0.20", "distance-pc-p0.20",
                "combined-p0.20-a0.50"]
    job = {"inputs": ["shards/shard-*.jsonl.zst"], "workdir": "w", "threads": 2,
           "index": {"k": 5},
           "score": {"metrics": ["gate+distance", "distance", "random", "distance-pc", "combined"],
                     "ratios": [0.2], "alphas": [0.5]},
           "prune": {"fsync": False}, "export": {"variant": variants, "out": "models"}}
    json.dump(job, open(f"{tmp}/job.json", "w"))
    subprocess.run([S, "run", "--config", f"{tmp}/job.json"], check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    os.environ.update(SCIPRUNE_LIB=f"{libdir}/libsciprune.so.0", SCIPRUNE_TEST_DIR=tmp,
                      SCIPRUNE_TEST_VARIANTS=",".join(variants))
    os.environ.pop("SCIPRUNE_DATA_DIR", None)
    here = os.path.dirname(os.path.abspath(__file__))
    sys.path[:0] = [os.path.dirname(here), os.path.join(os.path.dirname(here), "examples"), here]
    suite = unittest.defaultTestLoader.loadTestsFromName("test_sciprune")
    ok = unittest.TextTestRunner(verbosity=2).run(suite).wasSuccessful()
finally:
    subprocess.run(["rm", "-rf", tmp])
sys.exit(0 if ok else 1)
