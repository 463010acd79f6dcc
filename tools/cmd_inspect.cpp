// `glint inspect FILE [--json]`: header, metadata, tensor table and totals of a
// GGUF file, as text or JSON. Reads only what the GGUF reader validated.
#include <algorithm>
#include <charconv>
#include <cstdlib>
#include <cstdio>
#include <cstring>
#include <map>
#include <string>

#include <fmt/core.h>
#include <nlohmann/json.hpp>

#include "gguf/gguf.h"
#include "tools/cli.h"
#include "tools/common.h"

namespace glint::cli {
namespace {

const char* kUsage = R"(usage: glint inspect FILE [--json]

Prints a GGUF file's header (version, alignment, counts, data offset), every
metadata key with its type and value (long arrays and strings abbreviated), the
tensor table (name, type, shape, bytes, offset) and totals (parameters, bytes,
bits per weight, tensors per type).

  --json      the same as one JSON object on stdout
  -h, --help  this help
)";

constexpr size_t kMaxItems = 8;  // array items shown before "... N items"

std::string type_label(const gguf::Value& v) {
    if (v.type != gguf::ValueType::ARRAY) return gguf::value_type_name(v.type);
    return std::string("ARRAY[") + gguf::value_type_name(v.elem_type) + "]";
}

std::string shape_text(const gguf::TensorInfo& t) {
    std::string s = "[";
    for (uint32_t d = 0; d < t.n_dims; ++d) s += (d ? ", " : "") + std::to_string(t.ne[d]);
    return s + "]";
}

struct TypeTotals {
    size_t tensors = 0;
    uint64_t params = 0, bytes = 0;
};

struct Totals {
    uint64_t params = 0, bytes = 0;
    std::map<std::string, TypeTotals> by_type;  // sorted by type name, stable output
    double bpw() const { return params ? double(bytes) * 8.0 / double(params) : 0.0; }
};

Totals totals_of(const gguf::File& f) {
    Totals t;
    for (const auto& ti : f.tensors()) {
        t.params += ti.n_elements;
        t.bytes += ti.n_bytes;
        auto& h = t.by_type[std::string(type_name(ti.type))];
        ++h.tensors;
        h.params += ti.n_elements;
        h.bytes += ti.n_bytes;
    }
    return t;
}

void print_text(const gguf::File& f) {
    fmt::print("file:          {}\n", f.path());
    fmt::print("GGUF version:  {}\n", f.version());
    fmt::print("alignment:     {}\n", f.alignment());
    fmt::print("tensors:       {}\n", f.tensors().size());
    fmt::print("metadata keys: {}\n", f.metadata().size());
    fmt::print("data offset:   {}\n", f.data_offset());
    fmt::print("file size:     {}\n", f.file_size());

    size_t kw = 3, tw = 4;
    for (const auto& kv : f.metadata()) {
        kw = std::max(kw, kv.key.size());
        tw = std::max(tw, type_label(kv.value).size());
    }
    fmt::print("\nmetadata:\n");
    for (const auto& kv : f.metadata())
        fmt::print("  {:<{}}  {:<{}}  {}\n", kv.key, kw, type_label(kv.value), tw, kv.value.to_display(kMaxItems));

    fmt::print("\ntensors (offsets relative to the data section):\n");
    if (f.tensors().empty()) {
        fmt::print("  (none)\n");
    } else {
        size_t nw = 4, sw = 5;
        for (const auto& t : f.tensors()) {
            nw = std::max(nw, t.name.size());
            sw = std::max(sw, shape_text(t).size());
        }
        fmt::print("  {:<{}}  {:<7}  {:<{}}  {:>12}  {:>12}\n", "name", nw, "type", "shape", sw, "bytes", "offset");
        for (const auto& t : f.tensors())
            fmt::print("  {:<{}}  {:<7}  {:<{}}  {:>12}  {:>12}\n", t.name, nw, type_name(t.type), shape_text(t), sw,
                       t.n_bytes, t.offset);
    }

    Totals tot = totals_of(f);
    fmt::print("\ntotals:\n");
    fmt::print("  parameters:      {}\n", tot.params);
    fmt::print("  bytes:           {}\n", tot.bytes);
    fmt::print("  bits per weight: {:.4f}\n", tot.bpw());
    fmt::print("  types:{}\n", tot.by_type.empty() ? "           (none)" : "");
    for (const auto& [name, h] : tot.by_type)
        fmt::print("    {:<8} {:>5} tensors  {:>12} params  {:>12} bytes  {:5.1f}%\n", name, h.tensors, h.params,
                   h.bytes, tot.bytes ? 100.0 * double(h.bytes) / double(tot.bytes) : 0.0);
}

nlohmann::ordered_json value_json(const gguf::Value& v) {
    using gguf::ValueType;
    switch (v.type) {
        case ValueType::STRING: return std::string(v.str);
        case ValueType::BOOL: return v.scalar.b;
        case ValueType::FLOAT32: {
            // the shortest decimal that reads back as this float, so 1e-5f prints as 1e-05
            char buf[32];
            auto r = std::to_chars(buf, buf + sizeof buf, float(v.scalar.f));
            return std::strtod(std::string(buf, r.ptr).c_str(), nullptr);
        }
        case ValueType::FLOAT64: return v.scalar.f;
        case ValueType::UINT8: case ValueType::UINT16: case ValueType::UINT32: case ValueType::UINT64:
            return v.scalar.u;
        case ValueType::ARRAY: {
            nlohmann::ordered_json a = nlohmann::ordered_json::array();
            for (size_t i = 0; i < std::min(v.array.size(), kMaxItems); ++i) a.push_back(value_json(v.array[i]));
            return a;
        }
        default: return v.scalar.i;
    }
}

void print_json(const gguf::File& f) {
    using json = nlohmann::ordered_json;  // keeps the header-first order
    json j;
    j["file"] = f.path();
    j["version"] = f.version();
    j["alignment"] = f.alignment();
    j["tensor_count"] = f.tensors().size();
    j["kv_count"] = f.metadata().size();
    j["data_offset"] = f.data_offset();
    j["file_size"] = f.file_size();
    json md = json::array();
    for (const auto& kv : f.metadata()) {
        json e = {{"key", std::string(kv.key)}, {"type", gguf::value_type_name(kv.value.type)}};
        if (kv.value.type == gguf::ValueType::ARRAY) {
            e["elem_type"] = gguf::value_type_name(kv.value.elem_type);
            e["count"] = kv.value.array.size();
            e["truncated"] = kv.value.array.size() > kMaxItems;  // value holds the first kMaxItems
        }
        e["value"] = value_json(kv.value);
        md.push_back(std::move(e));
    }
    j["metadata"] = std::move(md);
    json ts = json::array();
    for (const auto& t : f.tensors())
        ts.push_back({{"name", std::string(t.name)},
                      {"type", std::string(type_name(t.type))},
                      {"shape", std::vector<int64_t>(t.ne, t.ne + t.n_dims)},
                      {"n_elements", t.n_elements},
                      {"bytes", t.n_bytes},
                      {"offset", t.offset}});
    j["tensors"] = std::move(ts);
    Totals tot = totals_of(f);
    json types = json::object();
    for (const auto& [name, h] : tot.by_type)
        types[name] = {{"tensors", h.tensors}, {"parameters", h.params}, {"bytes", h.bytes}};
    j["totals"] = {{"parameters", tot.params}, {"bytes", tot.bytes}, {"bits_per_weight", tot.bpw()},
                   {"types", std::move(types)}};
    // invalid UTF-8 in hostile strings becomes U+FFFD rather than an exception
    fmt::print("{}\n", j.dump(2, ' ', false, json::error_handler_t::replace));
}

struct InspectArgs {
    std::string path;
    bool json = false;
};

InspectArgs parse(int argc, char** argv) {
    InspectArgs o;
    bool have_path = false;
    for (int i = 1; i < argc; ++i) {
        std::string a = argv[i];
        if (a == "--json") {
            o.json = true;
        } else if (a.size() > 1 && a[0] == '-') {
            throw UsageError("unknown option '" + a + "'");
        } else if (have_path) {
            throw UsageError("expected one file, got '" + o.path + "' and '" + a + "'");
        } else {
            o.path = a;
            have_path = true;
        }
    }
    if (!have_path) throw UsageError("missing FILE");
    return o;
}

int cmd_inspect(int argc, char** argv) {
    for (int i = 1; i < argc; ++i)
        if (std::string(argv[i]) == "-h" || std::string(argv[i]) == "--help") {
            std::fputs(kUsage, stdout);
            return 0;
        }
    InspectArgs o;
    try {
        o = parse(argc, argv);
    } catch (const UsageError& e) {
        std::fprintf(stderr, "glint inspect: %s\n\n%s", e.what(), kUsage);
        return 2;
    }
    const std::string& path = o.path;
    const bool json = o.json;
    try {
        gguf::File f = gguf::File::open(path);
        if (json)
            print_json(f);
        else
            print_text(f);
    } catch (const std::exception& e) {
        std::fflush(stdout);
        std::fprintf(stderr, "glint inspect: %s\n", e.what());
        return 1;
    }
    return 0;
}

Registration reg("inspect", "show a GGUF file's header, metadata and tensors", &cmd_inspect,
                 [](int c, char** v) { (void)parse(c, v); });

}  // namespace
}  // namespace glint::cli
