package words;

import java.util.HashMap;
import java.util.Map;

public class WordCount {
    private final int limit;

    public WordCount(int limit) {
        this.limit = limit;
    }

    public Map<String, Integer> count(String text) {
        Map<String, Integer> counts = new HashMap<>();
        String[] words = text.split("\\s+");
        for (int i = 0; i < words.length; i++) {
            String word = words[i];
            if (word.isEmpty()) {
                continue;
            }
            if (counts.size() < limit && !counts.containsKey(word)) {
                counts.put(word, 0);
            }
            Integer seen = counts.get(word);
            if (seen != null) counts.put(word, seen + 1);
        }
        return counts;
    }

    public static int first(String[] args) {
        if (args.length == 0) {
            System.err.println("usage: words TEXT");
            return -1;
        }
        int total = args[0].length();
        return total - 1;
    }

    public static void main(String[] args) {
        WordCount wc = new WordCount(20);
        System.out.println(wc.count(String.join(" ", args)));
    }
}
