#!/usr/bin/python3
# bench/half_corpus.py: a JSONL stream filter keeping the records whose sha1(id)[0] is even
# (the hash-based half of the demo corpus in bench/semantic_results.md, plumb17 section):
#   zstd -dc IN.jsonl.zst | /usr/bin/python3 bench/half_corpus.py | zstd -q -3 -o OUT.jsonl.zst
import sys, json, hashlib
# keep records whose sha1(id)[0] is even (a documented hash-based half of the demo corpus)
for line in sys.stdin:
    r = json.loads(line)
    if hashlib.sha1(r["id"].encode()).digest()[0] % 2 == 0:
        sys.stdout.write(line)
