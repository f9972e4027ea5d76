// counter.cpp - count words
#include <map>
#include <string>

/* Count how often each word occurs. */
std::map<std::string, int> count_words(const std::string &text)
{
    std::map<std::string, int> n;
    std::string w;
    for (char c : text) {
        if (c == ' ') { /* end of a word */
            if (!w.empty()) n[w]++;
            w.clear();
        } else {
            w += c;
        }
    }
    if (!w.empty()) n[w]++;
    return n;
}
