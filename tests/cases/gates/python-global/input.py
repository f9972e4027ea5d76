def setup():
    global REGISTRY, _ready
    REGISTRY = {}
    _ready = True

def use():
    return REGISTRY, _ready, CACHE
