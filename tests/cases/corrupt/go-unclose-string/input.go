package words

import (
	"fmt"
	"sort"
	"strings"
)

// Count counts at most limit distinct words of text.
func Count(text string, limit int) map[string]int {
	counts := make(map[string]int)
	for _, word := range strings.Fields(text) {
		if _, ok := counts[word]; !ok && len(counts) >= limit {
			continue
		}
		counts[word] = counts[word] + 1
	}
	return counts
}

// Top returns the n most frequent words.
func Top(counts map[string]int, n int) []string {
	words := make([]string, 0, len(counts))
	for w := range counts {
		words = append(words, w)
	}
	sort.Slice(words, func(i, j int) bool { return counts[words[i]] > counts[words[j]] })
	if len(words) > n {
		words = words[:n]
	}
	return words
}

func Report(text string) (string, error) {
	counts := Count(text, 20)
	if len(counts) == 0 {
		return "", fmt.Errorf("no words in %q", text)
	}
	best := Top(counts, 3)
	for i := 0; i < len(best); i++ {
		fmt.Println(i, best[i])
	}
	return fmt.Sprintf(`%d distinct, first %s`, len(counts), best[0]), nil
}
