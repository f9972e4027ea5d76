// json_fixture.cpp - raw strings, digit separators, templates
#include <string>
#include <vector>

namespace fixture {

constexpr long kMillion = 1'000'000;
constexpr unsigned kMask = 0xFFFF'0000u;
const char kChar = ')';

const std::string kDoc = R"json({"a": [1, 2, {"b": "(x]"}], "c": "}"})json";
const std::string kPlain = R"(no closing brace here: { and a quote " too)";

template <typename T>
std::vector<T> repeat(const T &v, std::size_t n)
{
    std::vector<T> out(n, v);
    return out;
}

#if __cplusplus >= 201703L
inline constexpr bool kModern = true;
#else
const bool kModern = false;
#endif

}  // namespace fixture
