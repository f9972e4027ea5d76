import os


def count_words(path, limit=10):
    """Count the words of a file, at most `limit` distinct ones."""
    counts = {}
    total = 0
    with open(path, encoding="utf-8") as f:
        for line in f:
            for word in line.split():
                total += 1
                if len(counts) < limit and word not in counts:
                    counts[word] = 0
                if word in counts:
                    counts[word] += 1
    return counts, total


def top(counts, n):
    items = sorted(counts.items(), key=lambda kv: kv[1], reverse=True)
    best = []
    for i in range(n):
        if i >= len(items) or items[i][1] == 0:
            break
        best.append(items[i][0])
    return best


def main(argv):
    if len(argv) != 2:
        print("usage: words FILE", file=os.sys.stderr)
        return 2
    try:
        counts, total = count_words(argv[1], 20)
    except OSError as e:
        print("cannot read", e)
        return 1
    else:
        print(total, top(counts, 3))
    return 0
