// Reads a case of ../shared/reference (json + raw float32 logits) and compares logits.
#pragma once
#include <cmath>
#include <fstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "test_util.h"

namespace glint::test {

struct RefCase {
    std::string name, model, prompt;
    bool add_bos = true;
    std::vector<int32_t> prompt_tokens, greedy_tokens;
    std::string greedy_text;
    int n_pos = 0, n_vocab = 0;
    std::vector<float> logits;  // [n_pos][n_vocab]
};

inline std::vector<std::string> reference_case_names() {
    std::vector<std::string> names;
    if (!have_shared()) return names;
    for (const auto& e : std::filesystem::directory_iterator(shared_path("reference")))
        if (e.path().extension() == ".json") names.push_back(e.path().stem().string());
    std::sort(names.begin(), names.end());
    return names;
}

// The reference writes greedy_text as raw bytes, which may be invalid UTF-8
// (random models emit partial sequences); JSON parsers reject that, so
// invalid bytes become U+FFFD before parsing.
inline std::string valid_utf8(const std::string& in) {
    std::string out;
    for (size_t i = 0; i < in.size();) {
        const unsigned char c = static_cast<unsigned char>(in[i]);
        size_t len = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
        bool ok = len > 0 && i + len <= in.size();
        for (size_t k = 1; ok && k < len; ++k) ok = (static_cast<unsigned char>(in[i + k]) >> 6) == 2;
        if (ok) {
            out.append(in, i, len);
            i += len;
        } else {
            out += "\xEF\xBF\xBD";
            ++i;
        }
    }
    return out;
}

inline RefCase load_reference(const std::string& name) {
    RefCase c;
    c.name = name;
    std::ifstream jf(shared_path("reference/" + name + ".json"), std::ios::binary);
    const std::string raw((std::istreambuf_iterator<char>(jf)), std::istreambuf_iterator<char>());
    nlohmann::json j = nlohmann::json::parse(valid_utf8(raw));
    c.model = name.substr(0, name.rfind('-'));
    c.prompt = j["prompt"];
    c.add_bos = j["add_bos"];
    c.prompt_tokens = j["prompt_tokens"].get<std::vector<int32_t>>();
    c.greedy_tokens = j["greedy_tokens"].get<std::vector<int32_t>>();
    c.greedy_text = j["greedy_text"];
    c.n_pos = j["logits_shape"][0];
    c.n_vocab = j["logits_shape"][1];
    c.logits.resize(size_t(c.n_pos) * size_t(c.n_vocab));
    std::ifstream lf(shared_path("reference/" + std::string(j["logits_file"])), std::ios::binary);
    lf.read(reinterpret_cast<char*>(c.logits.data()), std::streamsize(c.logits.size() * sizeof(float)));
    return c;
}

// sum((a-b)^2) / sum(b^2): the reference engine's own backend-test measure.
inline double nmse(const float* ours, const float* ref, size_t n) {
    double num = 0, den = 0;
    for (size_t i = 0; i < n; ++i) {
        const double d = double(ours[i]) - ref[i];
        num += d * d;
        den += double(ref[i]) * ref[i];
    }
    return den > 0 ? num / den : num;
}

inline size_t argmax(const float* x, size_t n) {
    size_t best = 0;
    for (size_t i = 1; i < n; ++i)
        if (x[i] > x[best]) best = i;
    return best;
}

}  // namespace glint::test
