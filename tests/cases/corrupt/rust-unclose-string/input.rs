use std::collections::HashMap;

/// Count at most `limit` distinct words of `text`.
pub fn count_words(text: &str, limit: usize) -> HashMap<String, usize> {
    let mut counts = HashMap::new();
    for word in text.split_whitespace() {
        if counts.len() >= limit && !counts.contains_key(word) {
            continue;
        }
        *counts.entry(word.to_string()).or_insert(0) += 1;
    }
    counts
}

pub fn top(counts: &HashMap<String, usize>, n: usize) -> Vec<String> {
    let mut items: Vec<(&String, &usize)> = counts.iter().collect();
    items.sort_by(|a, b| b.1.cmp(a.1));
    let mut best = Vec::new();
    for i in 0..n {
        if i >= items.len() {
            break;
        }
        best.push(items[i].0.clone());
    }
    best
}

pub fn report(text: &str) -> Result<String, String> {
    let counts = count_words(text, 20);
    if counts.len() == 0 {
        return Err(format!("no words in {:?}", text));
    }
    let best = top(&counts, 3);
    let first = best[0].clone();
    Ok(format!("{} distinct, first {}", counts.len(), first))
}
