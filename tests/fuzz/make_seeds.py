#!/usr/bin/python3
"""Write the seed corpora tests/fuzz/corpus/<target>/seed-*: small, valid and nearly valid inputs
of each format that the fuzz targets start from (libFuzzer mutates them; `meson test` replays
them). Rerun after changing a target's input layout. Regression inputs of crashes found and fixed
are crash-<what> in the same folders."""
import glob
import json
import os
import struct
import subprocess
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))


def put(target, name, data, prefix='seed-'):
    d = os.path.join(HERE, 'corpus', target)
    os.makedirs(d, exist_ok=True)
    if isinstance(data, str):
        data = data.encode()
    with open(os.path.join(d, prefix + name), 'wb') as f:
        f.write(data)


def clear(target):
    for p in glob.glob(os.path.join(HERE, 'corpus', target, 'seed-*')):
        os.remove(p)


def zstd(data, *args):
    return subprocess.run(['zstd', '-q', '-c', *args], input=data, check=True,
                          stdout=subprocess.PIPE).stdout


REC = [
    {'id': 'a1', 'content': 'def f(x):\n    return x + 1\n', 'lang': 'Python', 'path': 'a/f.py'},
    {'id': 7, 'content': 'const x = 1;\nconsole.log(`${x}`);\n', 'language': 'JavaScript'},
    {'content': 'int main(void) { return 0; }\n', 'max_stars_repo_path': 'src/m.c'},
    {'id': 'u', 'content': 'print("h\u00e9llo \u4e16\u754c \U0001f600")\n', 'lang': 'python'},
]
LINES = [json.dumps(r) for r in REC]


def jsonline():
    clear('jsonline')
    seeds = LINES + [
        json.dumps(REC[3], ensure_ascii=False),
        '{"content":"a\\u0000b","id":1.5e3,"lang":null,"path":["x",{"y":[true,false]}]}',
        '{"content":"\\ud83d\\ude00 \\/ \\b\\f\\n\\r\\t \\"q\\" \\\\","id":-0.0e-7}',
        '{"content":"x","content":"last wins","":{}}',
        ' {"id" : [ [ [ [ ] ] ] ] , "lang" : "c" } ',
        '{"content":"\\ud800"}',
        '{"content":"\xff"}',
        '{"content":"x",}',
        '["not","an","object"]',
        '"string"',
        '{"content":1e999,"id":123456789012345678901234567890}',
        '{"a":' * 40 + '1' + '}' * 40,
        '{"content":"tab\there"}',
        '',
    ]
    for i, s in enumerate(seeds):
        put('jsonline', '%02d' % i, s)


def shard_reader():
    clear('shard_reader')
    body = ('\n'.join(LINES) + '\n').encode()
    mixed = (LINES[0] + '\n\n   \n{"content": 5}\n{"id":"x"}\n{bad json}\n' +
             '{"content":"a\\u0000"}\n' + LINES[1] + '\n{"content":"no newline"}').encode()
    mixed += b'\n{"content":"\xc3\x28"}\n'
    seeds = [
        bytes([0, 0, 0, 0]) + body,
        bytes([0, 0, 0, 0]) + mixed,
        bytes([0, 0x84, 0, 0]) + body,               # max_line_bytes 48: long lines
        bytes([0, 0, 0, 0]) + b'\xef\xbb\xbf' + body,  # BOM
        bytes([0, 0, 0, 0]) + b'\x1f\x8b\x08\x00' + body[:40],  # gzip magic
        bytes([1, 0, 0, 0]) + zstd(body),
        bytes([1, 0, 0, 0]) + zstd(body, '--no-check')[:-7],  # truncated
        bytes([1, 0, 0, 0]) + zstd(mixed) + zstd(body),
        bytes([2, 0, 0, 0]) + body,
        bytes([2, 0, 3, 0]) + mixed,                 # 4 frames
        bytes([2, 0, 1, 0xc0]) + body * 3,           # 2 frames, damage in the middle
        bytes([2, 0x81, 2, 0x90]) + mixed,
        bytes([2, 0, 0, 0xff]) + body,               # damage in the checksum
    ]
    for i, s in enumerate(seeds):
        put('shard_reader', '%02d' % i, s)


def npy():
    clear('npy')
    import io
    arrays = [np.arange(12, dtype='<f4').reshape(3, 4), np.arange(5, dtype='<f2'),
              np.zeros((2, 3), dtype='<f8'), np.array([1, -2, 3], dtype='<i4'),
              np.arange(6, dtype='<i8').reshape(6, 1), np.array([0, 1, 4], dtype='|u1'),
              np.zeros((0, 8), dtype='<f4'), np.asfortranarray(np.ones((2, 2), dtype='<f4'))]
    for i, a in enumerate(arrays):
        b = io.BytesIO()
        np.save(b, a)
        put('npy', '%02d' % i, b.getvalue())
    b = io.BytesIO()
    np.lib.format.write_array(b, np.ones((2, 2), dtype='<f4'), version=(2, 0))
    put('npy', 'v2', b.getvalue())
    b = io.BytesIO()
    np.save(b, np.ones((2, 2, 2), dtype='<f4'))
    put('npy', '3d', b.getvalue())
    b = io.BytesIO()
    np.save(b, np.ones(3, dtype='>f4'))
    put('npy', 'bigendian', b.getvalue())
    hdr = "{'descr': '<f4', 'fortran_order': False, 'shape': (4611686018427387904, 4), }"
    hdr = hdr.ljust(117) + '\n'
    # regression: a shape whose byte count wrapped around size_t passed the size check
    put('npy', 'shape-overflow', prefix='crash-', data=b'\x93NUMPY\x01\x00' + struct.pack('<H', len(hdr)) + hdr.encode())


def config():
    clear('config')
    with open(os.path.join(ROOT, 'data/configs/default.json')) as f:
        d = json.load(f)
    d['inputs'] = ['*.jsonl', 'sub/*']
    d['workdir'] = 'w'
    put('config', 'default', json.dumps(d, indent=1))
    small = [
        {'inputs': ['a.jsonl'], 'workdir': 'w'},
        {'inputs': ['*.jsonl*'], 'workdir': 'w', 'threads': 2,
         'embed': {'embedder': 'exec:python3 e.py', 'dim': 0, 'dtype': 'float16'},
         'score': {'metrics': ['distance', 'gate+distance'], 'ratios': [0.1, 0.5]}},
        {'inputs': ['a.jsonl'], 'workdir': 'w', 'embed': {'embedder': 'npy:vec'},
         'gates': {'enabled': False, 'parse_error_langs': 'all', 'js_envs': ['browser', 'node']},
         'corrupt': {'enabled': False}, 'analyze': {'corrupted': ['c/*.jsonl']}},
        {'inputs': ['a.jsonl'], 'workdir': 'w', 'index': {'k': -3, 'metric': 'l2'}},
        {'inputs': ['a.jsonl'], 'workdir': 'w', 'prune': {'fsync': 'yes'}},
        {'inputs': ['nomatch*'], 'workdir': 'w'},
        {'inputs': ['a.jsonl'], 'workdir': 'w', 'typo': 1},
        {'inputs': [], 'workdir': 'w'},
    ]
    for i, c in enumerate(small):
        put('config', '%02d' % i, json.dumps(c))
    # regression: a number outside its setting's type was converted anyway (undefined
    # behaviour: UBSan float-cast-overflow)
    put('config', 'float-cast', prefix='crash-',
        data=json.dumps({'inputs': ['a.jsonl'], 'workdir': 'w', 'index': {'k': 1e300},
                         'shard': {'max_line_bytes': -1}}))
    put('config', 'notjson', '{"inputs": ["a.jsonl"], "workdir": ')


def exec_embed():
    clear('exec_embed')

    def resp(count, dim, vals=None):
        v = vals if vals is not None else [0.5] * (count * dim)
        return b'SPEV' + struct.pack('<II', count, dim) + struct.pack('<%df' % len(v), *v)
    hs = json.dumps({'protocol': 1, 'model': 'fuzz-model', 'dim': 4, 'dtype': 'f32'}).encode() + b'\n'
    seeds = [
        hs + resp(1, 4) * 3,
        hs + resp(1, 4) + resp(2, 4) + resp(1, 4),       # wrong count
        hs + resp(1, 4) + resp(1, 3),                    # wrong dim
        hs + resp(1, 4, [1, 2, float('nan'), 4]),         # non-finite
        hs + b'SPEX' + resp(1, 4)[4:],                   # bad magic
        hs + resp(1, 4)[:10],                            # truncated
        hs,                                              # no response
        b'{"model": "m", "dim": 1}\n' + resp(1, 1) * 3,
        b'{"model": "m", "dim": 0}\n',
        b'{"model": "m", "dim": 65537}\n',
        b'{"model": 5, "dim": 4}\n',
        b'{"model": "m", "dim": 4, "protocol": 2}\n',
        b'{"model": "m", "dim": 4, "dtype": "f16"}\n',
        b'[1, 2]\n',
        b'{"model": "m", "dim": 2',                      # no newline
        b'x' * 5000,
    ]
    for i, s in enumerate(seeds):
        put('exec_embed', '%02d' % i, s)


def gates():
    clear('gates')
    srcs = [
        (0, 0, 'import os\n\ndef f(x):\n    return os.path.join(x, y)\n'),
        (0, 2, 'env = Environment()\nenv.Program("a.c")\n'),
        (0, 0, 'def f(:\n  if x\n    pass\n\tpass\n'),
        (0, 1, 'class A:\n    def m(self):\n        return [i for i in range(3) if i]\n'),
        (1, 0, 'const a = 1;\nlet b = a + c;\nfunction g() { return window.x; }\n'),
        (1, 3, 'chrome.runtime.onMessage.addListener((m) => { console.log(m); });\n'),
        (1, 0, 'let x = 1;\nlet x = 2;\nif (x { }\n'),
        (1, 1, 'class C extends B { #p = 1; get p() { return this.#p; } }\n`t ${1}`;\n'),
        (2, 0, '#include <stdio.h>\nint main(void) { printf("%d\\n", 1); return 0; }\n'),
        (2, 0, '#define M(x) ((x) + 1)\n#ifdef A\nint f(void) {\n#else\nint f(int a) {\n#endif\n  return M(1);\n}\n'),
        (2, 1, 'int main(void) { int a = 1 return a; }\n'),
        (2, 0, 'struct s { int x; };\nenum e { A, B };\nstatic int g[3] = {1, 2, 3};\n'),
        (0, 0, 'x = ' + '(' * 200 + '\n'),
        (1, 0, '[' * 300),
        (2, 0, '{' * 300),
    ]
    for i, (lang, path, src) in enumerate(srcs):
        put('gates', '%02d' % i, bytes([lang, path]) + src.encode())


if __name__ == '__main__':
    for fn in (jsonline, shard_reader, npy, config, exec_embed, gates):
        fn()
    sys.exit(0)
