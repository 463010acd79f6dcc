// One-input checks shared by the libFuzzer targets (fuzz_entry.cpp) and the
// corpus replay test (replay_test.cpp), so a saved input is judged the same
// way in every build. Each returns "" when the input was handled correctly,
// else a description of the bug (crashes and sanitizer reports speak for
// themselves).
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>

namespace glint::fuzz {

// Tokenizers: byte 0 picks a vocabulary (SentencePiece, byte-level BPE with
// every pre-tokenizer, WordPiece) and flags; the rest is text to encode and,
// read as int32s, token ids to decode. Needs the shared vocab fixtures.
std::string tokenizer_one(const uint8_t* data, size_t size);

// Chat templates: the bytes before the first NUL are the template; after it
// come either NUL-separated role/content pairs or a JSON context (byte 0 of
// the input picks which, and add_generation_prompt).
std::string chat_one(const uint8_t* data, size_t size);

// CLI: NUL-separated arguments; byte 0 picks the subcommand whose parse step
// (tools/cli.h ParseFn) gets them. Only tools::UsageError may come out.
std::string cli_one(const uint8_t* data, size_t size);

// Where the shared fixtures are: $GLINT_SHARED_DIR, else the configured path.
std::string shared_dir();

// Loads every tokenizer the tokenizer target uses (throws glint::Error when
// the fixtures are missing); returns how many.
size_t tokenizer_count();

}  // namespace glint::fuzz
