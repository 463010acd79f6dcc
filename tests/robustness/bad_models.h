// The model files a user can get wrong, each with the status and the exact
// message glint must give: shared by the C API test (load_errors_test.cpp)
// and the CLI test (cli_errors_test.cpp), which expects "glint run: " + message.
#pragma once
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "glint.h"
#include "tests/robustness/tiny_model.h"

namespace glint::test {

struct BadModel {
    std::string what;  // test label
    std::string path;
    glint_status status;
    std::string message;  // glint_last_error() after glint_model_load
};

// Creates the files in `dir` (which must exist) and describes them.
inline std::vector<BadModel> make_bad_models(const std::string& dir) {
    std::vector<BadModel> v;
    const std::string missing = dir + "/no-such-model.gguf";
    v.push_back({"missing", missing, GLINT_ERR_IO, missing + ": cannot open: No such file or directory"});

    const std::string sub = dir + "/a-directory.gguf";
    std::filesystem::create_directory(sub);
    v.push_back({"directory", sub, GLINT_ERR_IO, sub + ": cannot map: Is a directory"});

    const std::string empty = dir + "/empty.gguf";
    std::ofstream(empty).close();
    v.push_back({"empty", empty, GLINT_ERR_IO, empty + ": cannot map: file is empty"});

    const std::string text = dir + "/notes.txt";
    std::ofstream(text) << "these are my notes, not a model\n";
    v.push_back({"not GGUF", text, GLINT_ERR_INVALID_FILE,
                 text + ": at byte 0: bad magic: expected \"GGUF\", found 74 68 65 73 (not a GGUF file)"});

    // The bundled model cut short: inside the header, inside the metadata, and
    // inside the tensor data.
    std::ifstream in(bundled_model(), std::ios::binary);
    const std::string whole((std::istreambuf_iterator<char>(in)), {});
    for (const auto& [cut, msg] : std::vector<std::pair<size_t, std::string>>{
             {12, "at byte 8: truncated header: needs 8 bytes, only 4 left in the file"},
             {4000, "at byte 57: metadata key 'tokenizer.ggml.tokens': array length 512 of STRING needs at least 8 "
                    "bytes per item, only 3931 bytes left in the file"},
             {whole.size() / 2, "at byte 12392: tensor 'blk.1.ffn_down.weight': data (offset 537600, 44032 bytes, "
                                "from data section at byte 14176) runs past end of file (592688 bytes)"}}) {
        const std::string p = dir + "/truncated-" + std::to_string(cut) + ".gguf";
        std::ofstream(p, std::ios::binary).write(whole.data(), std::streamsize(cut));
        v.push_back({"truncated at " + std::to_string(cut), p, GLINT_ERR_INVALID_FILE, p + ": " + msg});
    }

    TinySpec gpt99;
    gpt99.arch = "gpt99";
    const std::string arch = dir + "/gpt99.gguf";
    write_tiny_model(arch, gpt99);
    v.push_back({"unknown architecture", arch, GLINT_ERR_UNSUPPORTED,
                 arch + ": unknown architecture 'gpt99' (supported: llama, qwen2)"});

    // Q2_K rows hold 256 weights, so this model is 256 wide.
    TinySpec q2;
    q2.n_embd = 256;
    q2.n_head = 4;
    q2.n_head_kv = 2;
    q2.n_ff = 256;
    q2.odd_tensor = "blk.1.attn_q.weight";
    q2.odd_type = TensorType::Q2_K;
    const std::string q2k = dir + "/q2k.gguf";
    write_tiny_model(q2k, q2);
    v.push_back({"unsupported tensor type", q2k, GLINT_ERR_UNSUPPORTED,
                 q2k + ": tensor 'blk.1.attn_q.weight' has type Q2_K, which glint cannot compute with (supported: "
                       "F32, F16, BF16, Q4_0, Q8_0, Q4_K, Q5_K, Q6_K)"});
    return v;
}

struct ScratchDir {
    std::string path;
    ScratchDir() {
        char tmpl[] = "/tmp/glint-robust-XXXXXX";
        path = mkdtemp(tmpl);
    }
    ~ScratchDir() { std::filesystem::remove_all(path); }
};

}  // namespace glint::test
