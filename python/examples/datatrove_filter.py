"""A datatrove-style filter: a plain class with filter(doc) -> bool (True = keep), backed by a
sciprune pruning model. It takes datatrove Documents (.text, .id, .metadata) or dicts in the
Stack's shape ({"content", "lang", "path", "id"}).

    f = SciPruneFilter("model/")
    kept = [d for d in docs if f.filter(d)]
"""
import sciprune

_EXT = {".py": "python", ".js": "javascript", ".mjs": "javascript", ".cjs": "javascript",
        ".ts": "typescript", ".tsx": "tsx", ".java": "java", ".c": "c", ".h": "c",
        ".cc": "cpp", ".cpp": "cpp", ".hpp": "cpp", ".go": "go", ".rs": "rust"}


class SciPruneFilter:
    name = "sciprune"

    def __init__(self, model_path, text_key="content", lang_key="lang", path_key="path",
                 id_key="id", default_lang="unknown"):
        self.model = sciprune.Model(model_path)
        self.text_key, self.lang_key, self.path_key, self.id_key = text_key, lang_key, path_key, id_key
        self.default_lang = default_lang
        self.stats = {"kept": 0, "dropped": 0}

    def _fields(self, doc):
        if isinstance(doc, dict):
            meta = doc
            text = doc.get(self.text_key, doc.get("text"))
        else:  # a datatrove Document
            meta = getattr(doc, "metadata", {}) or {}
            text = doc.text
            meta = dict(meta, id=getattr(doc, "id", meta.get(self.id_key)))
        path = meta.get(self.path_key)
        lang = meta.get(self.lang_key) or meta.get("language")
        if not lang and path:
            lang = next((l for e, l in _EXT.items() if path.endswith(e)), None)
        return text, (lang or self.default_lang).lower(), path, meta.get(self.id_key)

    def filter(self, doc) -> bool:
        text, lang, path, id_ = self._fields(doc)
        v = self.model.judge(text, lang, path=path, id=None if id_ is None else str(id_))
        self.stats["kept" if v.keep else "dropped"] += 1
        if not isinstance(doc, dict) and hasattr(doc, "metadata"):
            doc.metadata["sciprune_reason"] = v.reason
        return v.keep
