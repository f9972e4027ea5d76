__all__ = ["main", "submodule"]
__version__ = "1.0"

def main():
    print(__name__, __file__, len(sorted(set(range(3)))), NotImplemented, Ellipsis)
    try:
        return unicode
    except NameError:
        return str, isinstance(1, int), super, xrange_missing
