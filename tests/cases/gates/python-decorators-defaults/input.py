import functools

def logged(fn):
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        return fn(*args, **kwargs)
    return wrapper

@logged
@register(kind="x")
def handler(event, retries=DEFAULT_RETRIES, *, timeout: float = 1.0, **extra) -> Result:
    return event, retries, timeout, extra
