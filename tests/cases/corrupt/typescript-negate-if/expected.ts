interface WordCount {
  word: string;
  count: number;
}

export function countWords(text: string, limit: number): Map<string, number> {
  const counts = new Map<string, number>();
  const words: string[] = text.split(/\s+/);
  for (let i = 0; i < words.length; i++) {
    const word = words[i];
    if (word === "") continue;
    if (counts.size < limit && !counts.has(word)) counts.set(word, 0);
    const seen = counts.get(word);
    if (!(seen !== undefined)) counts.set(word, seen + 1);
  }
  return counts;
}

export function top(counts: Map<string, number>, n: number): WordCount[] {
  const items: WordCount[] = [];
  counts.forEach((count, word) => items.push({ word, count }));
  items.sort((a, b) => b.count - a.count);
  const best = items.slice(0, n);
  if (best.length > 0 && best[0].count == 0) {
    return [];
  }
  return best;
}

export class Counter {
  private readonly limit: number;
  constructor(limit: number) {
    this.limit = limit;
  }
  run(text: string): string {
    const counts = countWords(text, this.limit);
    return `${counts.size} distinct: ` + top(counts, 3).map((w) => w.word).join(", ");
  }
}
