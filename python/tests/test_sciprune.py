"""Tests of the Python binding (run by run_tests.py against the installed library)."""
import json, os, shutil, subprocess, tempfile, threading, unittest
import numpy as np
import sciprune
from datatrove_filter import SciPruneFilter

T = os.environ["SCIPRUNE_TEST_DIR"]
W = os.path.join(T, "w")
VARIANTS = os.environ["SCIPRUNE_TEST_VARIANTS"].split(",")


def records(shard_path):
    out = subprocess.run(["zstd", "-dcq", shard_path], check=True, capture_output=True).stdout
    return [json.loads(l) for l in out.decode().splitlines()]


class TestBinding(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.wd = sciprune.Workdir(W)
        cls.shards = json.load(open(f"{W}/embed/shards.json"))["shards"]
        cls.recs = {s["name"]: records(s["path"]) for s in cls.shards}

    def test_library_is_the_installed_one(self):
        self.assertEqual(sciprune.version(), "0.1.0")
        self.assertTrue(os.environ["SCIPRUNE_LIB"].startswith(T))
        lib = sciprune.library()
        self.assertTrue(lib.sciprune_data_dir().decode().startswith(os.path.join(T, "tree")))

    def test_error_struct_matches_the_installed_header(self):
        # the ctypes mirror of sciprune_error must have the header's field sizes, or every
        # call that fills an error writes past the Python buffer
        import glob, re
        hdr = glob.glob(os.path.join(T, "tree", "**", "sciprune.h"), recursive=True)
        self.assertEqual(len(hdr), 1)
        body = re.search(r"typedef struct sciprune_error \{(.*?)\} sciprune_error;",
                         open(hdr[0]).read(), re.S).group(1)
        for field in ("source", "text"):
            n = int(re.search(r"char " + field + r"\[(\d+)\]", body).group(1))
            self.assertEqual(getattr(sciprune._Error, field).size, n, field)

    def test_verdict_equals_prune_for_every_record(self):
        for v in VARIANTS:
            m = sciprune.Model(os.path.join(T, "models", v))
            self.assertEqual(m.variant, v)
            n = 0
            for s in self.shards:
                pruned = self.wd.pruned(v, s["name"])
                for row, r in enumerate(self.recs[s["name"]]):
                    verdict = m.judge(r["content"], r["lang"], path=r.get("path"), id=r["id"])
                    self.assertEqual(verdict.keep, not pruned[row],
                                     f"{v} {s['name']}:{row + 1} {verdict}")
                    n += 1
            self.assertEqual(n, self.wd.plan["n_accepted"])
            m.close()

    def test_new_records_follow_the_cut(self):
        # a file the model never saw is judged by the stored cut alone: distance > cut -> drop,
        # a tie with the cut -> keep (a new record is ordered after every training record)
        d = os.path.join(T, "models", "distance-p0.20")
        cut = json.load(open(f"{d}/model.json"))["steps"][0]["cut"]["distance"]
        m = sciprune.Model(d)
        n = drops = 0
        for r in self.recs[self.shards[0]["name"]][:80]:
            v = m.judge(r["content"] + "\n# seen for the first time\n", r["lang"], id="new:" + r["id"])
            self.assertFalse(v.from_training)
            self.assertEqual(v.keep, not (v.distance > cut), (v, cut))
            n += 1
            drops += not v.keep
        self.assertGreater(drops, 0)
        self.assertLess(drops, n)

    def test_embed_batch_is_the_embed_stage(self):
        m = sciprune.Model(os.path.join(T, "models", VARIANTS[0]))
        s = self.shards[0]
        recs = self.recs[s["name"]][:40]
        X = m.embed([r["content"] for r in recs], [r["lang"] for r in recs])
        self.assertEqual(X.shape, (40, m.dim))
        self.assertEqual(X.dtype, np.float32)
        np.testing.assert_allclose(np.linalg.norm(X, axis=1), 1.0, rtol=1e-5)
        np.testing.assert_array_equal(X, self.wd.vectors(s["name"])[:40])

    def test_threads_share_one_model(self):
        m = sciprune.Model(os.path.join(T, "models", "distance-p0.20"))
        recs = self.recs[self.shards[0]["name"]][:60]
        want = [m.judge(r["content"], r["lang"], id=r["id"]).keep for r in recs]
        got = {}

        def run(i):
            got[i] = [m.judge(r["content"], r["lang"], id=r["id"]).keep for r in recs]
        th = [threading.Thread(target=run, args=(i,)) for i in range(4)]
        for t in th:
            t.start()
        for t in th:
            t.join()
        self.assertTrue(all(g == want for g in got.values()))

    def test_workdir_results(self):
        plan = self.wd.plan
        for v in plan["variants"]:
            total = sum(int(self.wd.pruned(v["name"], s).sum()) for s in self.wd.shards())
            self.assertEqual(total, v["n_pruned"])
        cl, ds = self.wd.assignments(self.wd.shards()[0])
        self.assertEqual(cl.dtype, np.int32)
        self.assertEqual(len(cl), len(ds))

    def test_random_needs_an_id(self):
        m = sciprune.Model(os.path.join(T, "models", "random-p0.20"))
        with self.assertRaises(sciprune.SciPruneError) as cm:
            m.judge("x = 1\n", "python")
        self.assertEqual(cm.exception.status, "EINVAL")

    def test_other_format_version_is_refused(self):
        d = tempfile.mkdtemp(dir=T)
        shutil.copytree(os.path.join(T, "models", VARIANTS[0]), d, dirs_exist_ok=True)
        j = json.load(open(f"{d}/model.json"))
        j["version"] = 99
        json.dump(j, open(f"{d}/model.json", "w"))
        with self.assertRaises(sciprune.SciPruneError) as cm:
            sciprune.Model(d)
        self.assertEqual(cm.exception.status, "ESTATE")
        self.assertIn("version 99", str(cm.exception))
        with self.assertRaises(sciprune.SciPruneError) as cm:
            sciprune.Model(os.path.join(T, "no-such-model"))
        self.assertEqual(cm.exception.status, "EIO")

    def test_datatrove_filter_on_the_corpus(self):
        v = "gate+distance-p0.20"
        f = SciPruneFilter(os.path.join(T, "models", v))
        kept = 0
        for s in self.shards:
            pruned = self.wd.pruned(v, s["name"])
            for row, r in enumerate(self.recs[s["name"]]):
                k = f.filter(r)
                self.assertEqual(k, not pruned[row])
                kept += k
        plan = {x["name"]: x for x in self.wd.plan["variants"]}
        self.assertEqual(kept, plan[v]["n_kept"])
        self.assertEqual(f.stats["kept"], kept)

        class Document:  # datatrove's shape
            def __init__(self, text, id, metadata):
                self.text, self.id, self.metadata = text, id, metadata
        r = self.recs[self.shards[0]["name"]][0]
        d = Document(r["content"], r["id"], {"lang": r["lang"], "path": r.get("path")})
        self.assertEqual(f.filter(d), not self.wd.pruned(v, self.shards[0]["name"])[0])
        self.assertIn("sciprune_reason", d.metadata)


if __name__ == "__main__":
    unittest.main()
