// C++ test program for the native symbolication oracle: templates, methods, lambdas,
// std:: containers, recursion, function pointers, several compilation units.
#include "geometry.hpp"

#include <cstdio>
#include <functional>
#include <map>
#include <string>
#include <unordered_map>
#include <vector>

namespace text {
std::vector<std::string> split_words(const std::string &s);
std::map<std::string, int> count_words(const std::vector<std::string> &words);
std::vector<std::pair<std::string, int>> top_words(const std::map<std::string, int> &counts,
                                                   std::size_t n);
std::unordered_map<std::size_t, std::vector<std::string>> by_length(const std::vector<std::string> &words);
int apply_all(const std::vector<std::function<int(int)>> &fns, int value);
} // namespace text

namespace {

template <typename T>
T power(T base, unsigned exp)
{
    return exp == 0 ? T{1} : (exp % 2 ? base * power(base * base, exp / 2) : power(base * base, exp / 2));
}

long fibonacci(int n)
{
    return n < 2 ? n : fibonacci(n - 1) + fibonacci(n - 2);
}

template <typename Container, typename Fn>
auto sum_by(const Container &c, Fn fn) -> decltype(fn(*c.begin()))
{
    decltype(fn(*c.begin())) total{};
    for (const auto &x : c)
        total += fn(x);
    return total;
}

int twice(int v) { return 2 * v; }
int plus_three(int v) { return v + 3; }

} // namespace

int main(int argc, char **argv)
{
    auto shapes = geo::make_shapes(unsigned(argc) * 7919u, 24 + argc);
    for (auto &s : shapes)
        s->move({1.5, -0.5});
    std::printf("area=%.3f first=%s\n", geo::total_area(shapes), shapes.front()->name().c_str());

    auto m = geo::Matrix<double, 4>::identity();
    for (int i = 0; i < 4; i++)
        m.at(i, (i + 1) % 4) = 0.5 * argc;
    auto mi = geo::Matrix<long, 3>::identity();
    mi.at(0, 2) = argc;
    std::printf("trace=%.3f %ld\n", (m * m * m).trace(), (mi * mi).trace());

    std::string sample = "The quick brown fox jumps over the lazy dog; the dog sleeps, the fox runs. ";
    for (int i = 1; i < argc; i++)
        sample += argv[i], sample += ' ';
    auto words = text::split_words(sample + sample);
    auto counts = text::count_words(words);
    for (const auto &[w, n] : text::top_words(counts, 3))
        std::printf("%s:%d ", w.c_str(), n);
    auto lengths = text::by_length(words);
    std::printf("\nlengths=%zu chars=%zu\n", lengths.size(),
                sum_by(words, [](const std::string &w) { return w.size(); }));

    int (*table[])(int) = {twice, plus_three};
    std::vector<std::function<int(int)>> fns{table[0], table[1], [argc](int v) { return v * argc; }};
    std::printf("fns=%d pow=%ld %.2f fib=%ld\n", text::apply_all(fns, argc), power(3L, 5 + argc),
                power(1.5, 3u), fibonacci(18 + argc));
    return 0;
}
