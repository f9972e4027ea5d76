def area(w, h):
    s = w * h
        return s
