// Helpers shared by the GGUF reader, writer and value code; not part of the API.
#pragma once
#include <string>
#include <string_view>

#include "gguf/gguf.h"

namespace glint::gguf::detail {

bool valid_value_type(uint32_t t);
bool is_signed_int(ValueType t);
bool is_unsigned_int(ValueType t);
size_t scalar_size(ValueType t);  // 0 for STRING and ARRAY

// Escapes control characters and quotes and cuts after max_chars, so hostile
// names can go into error messages safely.
std::string printable(std::string_view s, size_t max_chars = 64);

// Copies every string of a value tree into one buffer the value co-owns, so it
// no longer points into a File's mapping.
void make_owned(Value& v);

bool values_equal(const Value& a, const Value& b);

}  // namespace glint::gguf::detail
