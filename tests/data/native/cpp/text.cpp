// Word statistics with std::map, std::unordered_map, std::sort and lambdas: deep inline
// chains from libstdc++ headers at -O2.
#include <algorithm>
#include <functional>
#include <map>
#include <sstream>
#include <string>
#include <unordered_map>
#include <vector>

namespace text {

std::vector<std::string> split_words(const std::string &s)
{
    std::vector<std::string> words;
    std::istringstream in(s);
    std::string w;
    while (in >> w) {
        w.erase(std::remove_if(w.begin(), w.end(), [](unsigned char c) { return !std::isalnum(c); }),
                w.end());
        std::transform(w.begin(), w.end(), w.begin(), [](unsigned char c) { return std::tolower(c); });
        if (!w.empty())
            words.push_back(std::move(w));
    }
    return words;
}

std::map<std::string, int> count_words(const std::vector<std::string> &words)
{
    std::map<std::string, int> counts;
    for (const auto &w : words)
        ++counts[w];
    return counts;
}

std::vector<std::pair<std::string, int>> top_words(const std::map<std::string, int> &counts,
                                                   std::size_t n)
{
    std::vector<std::pair<std::string, int>> v(counts.begin(), counts.end());
    std::sort(v.begin(), v.end(), [](const auto &a, const auto &b) {
        return a.second != b.second ? a.second > b.second : a.first < b.first;
    });
    if (v.size() > n)
        v.resize(n);
    return v;
}

std::unordered_map<std::size_t, std::vector<std::string>> by_length(const std::vector<std::string> &words)
{
    std::unordered_map<std::size_t, std::vector<std::string>> out;
    for (const auto &w : words)
        out[w.size()].push_back(w);
    return out;
}

int apply_all(const std::vector<std::function<int(int)>> &fns, int value)
{
    for (const auto &f : fns)
        value = f(value);
    return value;
}

} // namespace text
