#include <iostream>
#include <map>
#include <string>
#include <vector>
#ifndef LIMIT
#define LIMIT 64
#endif

namespace words {

class Counter {
public:
    explicit Counter(std::size_t limit) : limit_(limit) {}

    void add(const std::string &word) {
        if (counts_.size() < limit_ && counts_.find(word) == counts_.end()) {
            counts_[word] = 0;
        }
        auto it = counts_.find(word);
        if (it != counts_.end()) it->second += 1;
    }

    std::vector<std::string> top(std::size_t n) const {
        std::vector<std::pair<int, std::string>> items;
        for (const auto &kv : counts_) items.emplace_back(kv.second, kv.first);
        std::vector<std::string> best;
        for (std::size_t i = 0; i < n && i < items.size(); i++) {
            best.push_back(items[i].second);
        }
        return best;
    }

private:
    std::size_t limit_;
    std::map<std::string, int> counts_;
};

}  // namespace words

int main(int argc, char **argv) {
    words::Counter counter(20);
    char sep = ',';
    if (argc < 2) {
        std::cerr << "usage: words WORD..." << std::endl;
        return 2;
    }
    for (int i = 1; i < argc; i++) counter.add(argv[i]);
    int shown = 0;
    for (const auto &w : counter.top(3)) {
        std::cout << w << sep;
        shown = shown + 1;
    }
    return shown > 0 ? 0 : 1;
}
