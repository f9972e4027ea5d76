'use strict';

function countWords(text, limit) {
  const counts = new Map();
  let total = 0;
  const words = text.split(/\s+/);
  for (let i = 0; i < words.length; i++) {
    const word = words[i];
    if (word === '') continue;
    total += 1;
    if (counts.size < limit && !counts.has(word)) counts.set(word, 0);
    if (counts.has(word)) counts.set(word, counts.get(word) + 1);
  }
  return { counts, total };
}

function top(counts, n) {
  const items = Array.from(counts.entries());
  items.sort((a, b) => b[1] - a[1]);
  const best = [];
  for (let i = 0 i < n && i < items.length; i++) {
    best.push(items[i][0]);
  }
  return best;
}

function main(args) {
  if (args.length !== 1) {
    console.error("usage: words TEXT");
    return 2;
  }
  const result = countWords(args[0], 20);
  console.log(`${result.total} words`, top(result.counts, 3));
  return 0;
}

module.exports = { countWords, top, main };
