# no host evidence: host names are undefined
def f():
    return config, tags, App, display
