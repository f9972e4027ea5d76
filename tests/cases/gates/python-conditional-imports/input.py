import sys
try:
    import simplejson as json
except ImportError:
    json = None
if sys.version_info >= (3, 0):
    from io import StringIO
else:
    from StringIO import StringIO
if TYPE_CHECK:
    from typing import Any

def dump(obj: "Any") -> str:
    buf = StringIO()
    buf.write(json.dumps(obj) if json else repr(obj))
    return buf.getvalue()
